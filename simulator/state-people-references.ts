import type { z } from 'zod';

/**
 * Cross-references of people, teams, collaborators and authorizations, checked after the field-by-field schema so
 * that a hand-edited or uploaded state document fails naming the offending path instead of authenticating the
 * wrong account (or nobody) later.
 */

interface StateShape {
  account: { id: string; email: string };
  people: Array<{ id: string; email: string }>;
  teams: Array<{ id: string; name: string; members: Array<{ account_id: string }> }>;
  authorizations: Array<{ id: string; account_id: string; access_token: { token: string } }>;
  apps: Array<{ team: { id: string; name: string } | null; collaborators: Array<{ account_id: string }> }>;
}

export function checkPeopleReferences(state: StateShape, ctx: z.RefinementCtx): void {
  const issue = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path, message });

  const accountIds = new Set([state.account.id]);
  const emails = new Set([state.account.email.toLowerCase()]);
  state.people.forEach((person, index) => {
    if (accountIds.has(person.id)) issue(['people', index, 'id'], 'duplicate account id');
    if (emails.has(person.email.toLowerCase())) issue(['people', index, 'email'], 'duplicate account email');
    accountIds.add(person.id);
    emails.add(person.email.toLowerCase());
  });
  const knownAccount = (path: PropertyKey[], accountId: string) => {
    if (!accountIds.has(accountId)) issue(path, 'no account has this id');
  };

  const teams = new Map<string, string>();
  state.teams.forEach((team, teamIndex) => {
    if ([...teams.values()].includes(team.name)) issue(['teams', teamIndex, 'name'], 'duplicate team name');
    teams.set(team.id, team.name);
    const members = new Set<string>();
    team.members.forEach((member, memberIndex) => {
      const path = ['teams', teamIndex, 'members', memberIndex, 'account_id'];
      knownAccount(path, member.account_id);
      if (members.has(member.account_id)) issue(path, 'this account is already a member of the team');
      members.add(member.account_id);
    });
  });

  state.apps.forEach((app, appIndex) => {
    if (app.team && teams.get(app.team.id) !== app.team.name) {
      issue(['apps', appIndex, 'team'], 'no team has this id and name');
    }
    app.collaborators.forEach((collaborator, index) =>
      knownAccount(['apps', appIndex, 'collaborators', index, 'account_id'], collaborator.account_id),
    );
  });

  const tokens = new Set<string>();
  state.authorizations.forEach((authorization, index) => {
    knownAccount(['authorizations', index, 'account_id'], authorization.account_id);
    const token = authorization.access_token.token;
    if (tokens.has(token)) issue(['authorizations', index, 'access_token', 'token'], 'duplicate token');
    tokens.add(token);
  });
}
