import { stableId } from './ids';
import { ACCOUNT_EMAIL, CHINAPOWER_APP, PRODUCTION_APP, STAGING_APP, TEAM } from './seed-names';
import type { Account, AppRecord } from './state';
import type { AuthorizationRecord, PermissionName, TeamRecord } from './state-people';

/**
 * The people of team csis-ilab and what each may do, so that approvals can be told apart by who gives them:
 * alice deploys and operates the runbook's apps, bob administers the team, carol only looks. The service account
 * (the worker) is a plain member holding every permission on every team app. Each person's token is a global
 * OAuth authorization, as `heroku login` mints; these fake tokens never expire (a real login lasts 30 days).
 */

type AppPermissions = Readonly<Record<string, readonly PermissionName[]>>;

interface SeedPerson {
  readonly email: string;
  readonly name: string;
  readonly token: string;
  readonly role: 'admin' | 'member';
  /** Per-app permissions of a member; an admin holds all four on every team app. */
  readonly permissions: AppPermissions;
}

const ALL: readonly PermissionName[] = ['view', 'deploy', 'operate', 'manage'];

export const SEED_PEOPLE = {
  alice: {
    email: 'alice@csis.example',
    name: 'Alice',
    token: 'alice-token',
    role: 'member',
    permissions: {
      [PRODUCTION_APP]: ['view', 'deploy', 'operate'],
      [STAGING_APP]: ['view', 'deploy', 'operate'],
      [CHINAPOWER_APP]: ['view'],
    },
  },
  bob: {
    email: 'bob@csis.example',
    name: 'Bob',
    token: 'bob-token',
    role: 'admin',
    permissions: { [PRODUCTION_APP]: ALL, [STAGING_APP]: ALL, [CHINAPOWER_APP]: ALL },
  },
  carol: {
    email: 'carol@csis.example',
    name: 'Carol',
    token: 'carol-token',
    role: 'member',
    // Every member of a Heroku team may view all of its apps (Dev Center, app permissions), chinapower included.
    permissions: { [PRODUCTION_APP]: ['view'], [STAGING_APP]: ['view'], [CHINAPOWER_APP]: ['view'] },
  },
} as const satisfies Readonly<Record<string, SeedPerson>>;

const SERVICE_ACCOUNT_PERMISSIONS: AppPermissions = {
  [PRODUCTION_APP]: ALL,
  [STAGING_APP]: ALL,
  [CHINAPOWER_APP]: ALL,
};

const TEAM_CREATED = '2015-09-01T12:00:00Z';
/** People joined the team a little after the service account, in this order. */
const JOINED = ['2016-02-01T15:30:00Z', '2016-02-01T15:35:00Z', '2016-02-08T10:12:00Z'];

export function seedServiceAccount(): Account {
  return {
    id: stableId('account', ACCOUNT_EMAIL),
    email: ACCOUNT_EMAIL,
    name: 'CSIS iLab Operations',
    created_at: TEAM_CREATED,
    updated_at: TEAM_CREATED,
    last_login: '2016-03-10T13:55:00Z',
  };
}

/**
 * The people, their team, their login authorizations, and (written onto `apps`) each team app's collaborators.
 * `apps` are the seed's apps; any not named in a person's permissions get no collaborator record for them.
 */
export function seedPeople(
  serviceAccount: Account,
  apps: AppRecord[],
): { people: Account[]; teams: TeamRecord[]; authorizations: AuthorizationRecord[] } {
  const persons = Object.values(SEED_PEOPLE);
  const people: Account[] = persons.map((person, index) => ({
    id: stableId('account', person.email),
    email: person.email,
    name: person.name,
    created_at: JOINED[index],
    updated_at: JOINED[index],
    last_login: '2016-10-20T09:00:00Z',
  }));

  const members: Array<{ account: Account; role: 'admin' | 'member'; joined: string; permissions: AppPermissions }> = [
    { account: serviceAccount, role: 'member', joined: TEAM_CREATED, permissions: SERVICE_ACCOUNT_PERMISSIONS },
    ...persons.map((person, index) => ({ account: people[index], joined: JOINED[index], ...person })),
  ];
  const team: TeamRecord = {
    ...TEAM,
    created_at: TEAM_CREATED,
    updated_at: TEAM_CREATED,
    members: members.map(({ account, role, joined }) => ({
      id: stableId('team-member', TEAM.name, account.email),
      account_id: account.id,
      role,
      created_at: joined,
      updated_at: joined,
    })),
  };

  for (const app of apps) {
    if (app.team?.id !== TEAM.id) continue;
    app.collaborators = members
      .filter(({ role, permissions }) => role !== 'admin' && permissions[app.name] !== undefined)
      .map(({ account, joined, permissions }) => {
        // Nobody had access to an app before it existed.
        const since = joined > app.created_at ? joined : app.created_at;
        return {
          id: stableId('collaborator', app.name, account.email),
          account_id: account.id,
          permissions: [...permissions[app.name]],
          created_at: since,
          updated_at: since,
        };
      });
  }

  const authorizations: AuthorizationRecord[] = persons.map((person, index) => ({
    id: stableId('authorization', person.email, 'login'),
    account_id: people[index].id,
    description: 'Heroku CLI login from simulator',
    scope: ['global'],
    access_token: { id: stableId('access-token', person.email, 'login'), token: person.token },
    created_at: people[index].last_login!,
    updated_at: people[index].last_login!,
    expires_in: null,
    expires_at: null,
    speed: 1,
  }));

  return { people, teams: [team], authorizations };
}
