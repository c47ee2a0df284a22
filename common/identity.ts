// Who did it, proven by Heroku: the CLI seals a short-lived Heroku token (an `identity`-scoped OAuth
// authorization of the person's own login) for the worker; the worker reads the account with it, revokes it and
// records the email. Shared by the CLI (which makes proofs), the activity (which verifies them) and the workflows
// (which decide with the verified email).

/** What a proof is for. A proof made for one action, run or plan opens for no other (it is sealed bound to it). */
export type ProofAction = 'start' | 'approve' | 'reject' | 'cancel';

/** The longest identity proof a run takes (a sealed proof is a few hundred characters): at start, approval, cancel. */
export const MAX_PROOF_LENGTH = 4000;

/** The longest a proof may live (seconds): the authorization's `expires_in`. */
export const PROOF_LIFETIME_SECONDS = 300;

/** What the CLI seals: the token and what it was made for. Never stored in the clear anywhere. */
export interface IdentityProof {
  v: 1;
  /** The OAuth authorization the token belongs to: the worker revokes it after reading the account. */
  authorizationId: string;
  token: string;
  action: ProofAction;
  workflowId: string;
  /** start: the runbook; approve: the plan hash approved. */
  subject: string;
  issuedAt: string;
  expiresInSeconds: number;
}

/**
 * The name a proof is sealed under (the sealing's `name`): the action and its subject. A start proof for one
 * runbook does not open as another's, an approval of one plan hash not as another's.
 */
export function proofSealName(action: ProofAction, subject: string): string {
  return `${action}:${subject}`;
}

/** What the worker found, after it verified and revoked a proof. */
export interface VerifiedIdentity {
  email: string;
  accountId: string;
  authorizationId: string;
  /** Whether the token was revoked (it must be: a proof that cannot be revoked is refused). */
  revoked: true;
}

/** A person as the engine knows them: a verified Heroku account, or a name someone typed. */
export type Person = { verified: true; email: string } | { verified: false; claims: string };

export function unverified(claims: string | undefined | null): Person {
  const trimmed = typeof claims === 'string' ? claims.trim() : '';
  return { verified: false, claims: trimmed ? trimmed.slice(0, 200) : 'nobody' };
}

/** "bob@csis.example", or "unverified (claims: alice)": how a person is written in runs, attributes and the trail. */
export function describePerson(person: Person): string {
  return person.verified ? person.email : `unverified (claims: ${person.claims})`;
}

export function samePerson(a: Person, b: Person): boolean {
  if (!a.verified || !b.verified) return false;
  return a.email.trim().toLowerCase() === b.email.trim().toLowerCase();
}

/** A person's standing on an app, read with the worker's token: team role and app permissions. */
export interface Standing {
  email: string;
  team: string | null;
  /** admin, owner, member, collaborator, or null when not a member of the app's team. */
  teamRole: string | null;
  /** view, deploy, operate, manage: what the app's collaborator list gives this person. */
  permissions: string[];
}
