import { stableId } from './ids';

/** Names the seed's modules share (apps, team, service account), apart so that none imports another's whole seed. */

export const PRODUCTION_APP = 'csis-reconasia-alfa';
export const STAGING_APP = 'csis-reconasia-bravo';
/** A small third app of the team, so that per-app permissions differ between apps. */
export const CHINAPOWER_APP = 'chinapower';
export const TEAM_NAME = 'csis-ilab';
/** The worker's service account: the simulator's own token (`--token`) authenticates as it. */
export const ACCOUNT_EMAIL = 'ops@csis-ilab.example';

export const TEAM = { id: stableId('team', TEAM_NAME), name: TEAM_NAME };
/** Heroku shows a team's apps as owned by the team's own `<team>@herokumanager.com` account. */
export const TEAM_OWNER = {
  id: stableId('user', `${TEAM_NAME}@herokumanager.com`),
  email: `${TEAM_NAME}@herokumanager.com`,
};
