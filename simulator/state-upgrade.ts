import { stableId } from './ids';
import type { SimulatorState } from './state';

/**
 * A state document written before the simulator knew people (it has no `teams`) would otherwise load with nobody
 * but the service account in it, and every person's token would be refused. It gets the seed's people instead:
 * their accounts, team memberships, login authorizations, and their permissions on the apps it has by the seed's
 * names. The service account stays the document's own.
 */
export function withSeedPeople(raw: unknown, seed: SimulatorState): unknown {
  if (!isObject(raw) || 'teams' in raw) return raw;
  const accountId = isObject(raw.account) && typeof raw.account.id === 'string' ? raw.account.id : seed.account.id;
  const own = (id: string) => (id === seed.account.id ? accountId : id);

  const teams = seed.teams.map((team) => ({
    ...team,
    members: team.members.map((member) => ({ ...member, account_id: own(member.account_id) })),
  }));
  const apps = Array.isArray(raw.apps)
    ? raw.apps.map((app: unknown) => {
        if (!isObject(app) || 'collaborators' in app) return app;
        const seeded = seed.apps.find((candidate) => candidate.name === app.name);
        const sameTeam = isObject(app.team) && seeded?.team?.id === app.team.id;
        const collaborators = sameTeam ? seeded!.collaborators : [];
        return { ...app, collaborators: collaborators.map((c) => ({ ...c, account_id: own(c.account_id) })) };
      })
    : raw.apps;

  // A team the seed does not know still has to exist for its apps; the service account belongs to it.
  for (const app of Array.isArray(apps) ? apps : []) {
    if (!isObject(app) || !isObject(app.team) || teams.some((team) => team.id === (app.team as { id?: unknown }).id)) {
      continue;
    }
    const { id, name } = app.team as { id: string; name: string };
    const at = typeof app.created_at === 'string' ? app.created_at : seed.account.created_at;
    teams.push({
      id,
      name,
      created_at: at,
      updated_at: at,
      members: [
        {
          id: stableId('team-member', name, accountId),
          account_id: accountId,
          role: 'member',
          created_at: at,
          updated_at: at,
        },
      ],
    });
  }

  return {
    ...raw,
    people: raw.people ?? seed.people,
    teams,
    authorizations: raw.authorizations ?? seed.authorizations,
    apps,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
