import { notFound } from '../errors';
import { stableId } from '../ids';
import type { Account, AppRecord, SimulatorState } from '../state';
import { PERMISSION_NAMES, type PermissionName, type TeamMemberRecord, type TeamRecord } from '../state-people';
import { appRef, appView } from './apps';

/**
 * Accounts, teams and what each account may do on a team app, as the Platform API shows them. The descriptions
 * paraphrase Dev Center's summaries of the permissions ("App Permissions"); the API's own wording is UNCONFIRMED.
 */
export const PERMISSIONS: ReadonlyArray<{ name: PermissionName; description: string }> = [
  { name: 'view', description: 'See the app and its details: activity, access, add-ons, dynos and releases.' },
  {
    name: 'deploy',
    description:
      'Deploy code, view and edit config vars, add and remove free add-ons, run one-off dynos and roll back.',
  },
  {
    name: 'operate',
    description: 'Change the dyno formation, restart the app, and add or remove paid add-ons.',
  },
  {
    name: 'manage',
    description: 'Add and remove users and their permissions, rename, transfer, lock and delete the app.',
  },
];

export function allAccounts(state: SimulatorState): Account[] {
  return [state.account, ...state.people];
}

export function findAccount(state: SimulatorState, id: string): Account | undefined {
  return allAccounts(state).find((account) => account.id === id);
}

/** `{team}` path segments accept the team's name or UUID. */
export function findTeam(state: SimulatorState, idOrName: string): TeamRecord | undefined {
  return state.teams.find((team) => team.name === idOrName || team.id === idOrName.toLowerCase());
}

/**
 * The team, if the caller belongs to it. A team the caller is no member of is as unknown to them as a team that
 * does not exist (UNCONFIRMED: Heroku may answer 403 there; the message for an unknown team is UNCONFIRMED too).
 */
export function requireTeam(state: SimulatorState, idOrName: string, caller: Account): TeamRecord {
  const team = findTeam(state, idOrName);
  if (!team || !membership(team, caller.id)) throw notFound('team', "Couldn't find that team.");
  return team;
}

export function membership(team: TeamRecord, accountId: string): TeamMemberRecord | undefined {
  return team.members.find((member) => member.account_id === accountId);
}

export function teamOfApp(state: SimulatorState, app: AppRecord): TeamRecord | undefined {
  return app.team ? state.teams.find((team) => team.id === app.team!.id) : undefined;
}

/** What the account may do on the app: all four for the team's admins, else its collaborator record's. */
export function permissionsOn(state: SimulatorState, app: AppRecord, accountId: string): PermissionName[] {
  const team = teamOfApp(state, app);
  if (team && membership(team, accountId)?.role === 'admin') return [...PERMISSION_NAMES];
  const granted = new Set(app.collaborators.find((c) => c.account_id === accountId)?.permissions ?? []);
  return PERMISSION_NAMES.filter((name) => granted.has(name));
}

function permissionViews(names: readonly PermissionName[]) {
  return PERMISSIONS.filter((permission) => names.includes(permission.name)).map((p) => ({ ...p }));
}

export function memberView(state: SimulatorState, member: TeamMemberRecord) {
  const account = findAccount(state, member.account_id)!;
  return {
    created_at: member.created_at,
    email: account.email,
    federated: false,
    id: member.id,
    identity_provider: null,
    role: member.role,
    two_factor_authentication: false,
    updated_at: member.updated_at,
    user: { email: account.email, id: account.id, name: account.name },
  };
}

/** A team app as `GET /teams/{team}/apps` lists it: the app, plus whether the caller joined it and its lock. */
export function teamAppView(app: AppRecord, caller: Account) {
  return {
    ...appView(app),
    joined: app.collaborators.some((collaborator) => collaborator.account_id === caller.id),
    // App locking (only admins and `manage` may join a locked app) is not simulated: no app is locked.
    locked: false,
  };
}

/**
 * Everyone with access to the app, as `GET /apps/{app}/collaborators` shows a team app: the team's own
 * herokumanager.com account as owner with no permissions (Heroku's own CLI tests show this record, which
 * `heroku access` hides), every admin with all four permissions, then each member's record.
 */
export function collaboratorViews(state: SimulatorState, app: AppRecord) {
  const team = teamOfApp(state, app);
  const since = (joined: string) => (joined > app.created_at ? joined : app.created_at);
  const view = (
    id: string,
    user: { id: string; email: string },
    role: string,
    permissions: readonly PermissionName[],
    at: { created_at: string; updated_at: string },
  ) => ({
    app: appRef(app),
    created_at: at.created_at,
    id,
    permissions: permissionViews(permissions),
    role,
    updated_at: at.updated_at,
    user: { email: user.email, federated: false, id: user.id },
  });

  const owner = view(stableId('collaborator', app.name, app.owner.email), app.owner, 'owner', [], {
    created_at: app.created_at,
    updated_at: app.created_at,
  });
  const admins = (team?.members ?? [])
    .filter((member) => member.role === 'admin')
    .map((member) => {
      const account = findAccount(state, member.account_id)!;
      const at = since(member.created_at);
      return view(stableId('collaborator', app.name, account.email), account, 'admin', PERMISSION_NAMES, {
        created_at: at,
        updated_at: at,
      });
    });
  const adminIds = new Set((team?.members ?? []).filter((m) => m.role === 'admin').map((m) => m.account_id));
  const members = app.collaborators
    .filter((collaborator) => !adminIds.has(collaborator.account_id))
    .map((collaborator) => {
      const account = findAccount(state, collaborator.account_id)!;
      const role = team && membership(team, account.id) ? membership(team, account.id)!.role : 'collaborator';
      return view(collaborator.id, account, role, collaborator.permissions, collaborator);
    });
  return [owner, ...admins, ...members];
}

export function teamView(team: TeamRecord, caller: Account) {
  return {
    created_at: team.created_at,
    credit_card_collections: false,
    default: false,
    // Per-app permissions are a Heroku Enterprise feature, so the team is an Enterprise Team.
    enterprise_account: { id: stableId('enterprise-account', team.name), name: team.name },
    id: team.id,
    identity_provider: null,
    membership_limit: null,
    name: team.name,
    provisioned_licenses: false,
    role: membership(team, caller.id)?.role ?? null,
    type: 'enterprise',
    updated_at: team.updated_at,
  };
}
