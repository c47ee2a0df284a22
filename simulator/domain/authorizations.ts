import { randomBytes, randomUUID } from 'node:crypto';
import { herokuTime } from '../clock';
import type { SimulatorContext } from '../context';
import { notFound } from '../errors';
import type { Account, SimulatorState } from '../state';
import type { AuthorizationRecord, Scope } from '../state-people';

/**
 * OAuth authorizations: each holds an access token that authenticates as its account, within its scope, until it
 * expires or is revoked. Expiry is in simulated time: `expires_in` seconds at the speed in force when the
 * authorization was made (PUT /__simulator/clock), fixed then like a transfer's milestones, so a later speed change
 * does not move it.
 */

/** Heroku's OAuth tokens are prefixed `HRKU-` (Dev Center, "OAuth"); the rest is random. */
function newToken(): string {
  return `HRKU-${randomBytes(30).toString('base64url')}`;
}

export function createAuthorization(
  ctx: SimulatorContext,
  account: Account,
  request: { scope: Scope[]; description: string | null; expires_in: number | null },
): AuthorizationRecord {
  const nowMs = ctx.clock.now().getTime();
  const now = herokuTime(new Date(nowMs));
  const authorization: AuthorizationRecord = {
    id: randomUUID(),
    account_id: account.id,
    description: request.description,
    scope: [...new Set(request.scope)],
    access_token: { id: randomUUID(), token: newToken() },
    created_at: now,
    updated_at: now,
    expires_in: request.expires_in,
    expires_at:
      request.expires_in === null
        ? null
        : new Date(nowMs + Math.ceil(ctx.time.realMs(request.expires_in * 1000))).toISOString(),
    speed: ctx.time.speed,
  };
  ctx.store.state.authorizations.push(authorization);
  return authorization;
}

export function isExpired(authorization: AuthorizationRecord, nowMs: number): boolean {
  return authorization.expires_at !== null && nowMs >= Date.parse(authorization.expires_at);
}

/** Simulated seconds left (`access_token.expires_in`), counting down to 0; null for a token that never expires. */
export function secondsLeft(authorization: AuthorizationRecord, nowMs: number): number | null {
  if (authorization.expires_at === null) return null;
  const realMsLeft = Math.max(0, Date.parse(authorization.expires_at) - nowMs);
  return Math.ceil((realMsLeft * authorization.speed) / 1000);
}

/** The live authorization whose token this is, if any. */
export function authorizationByToken(
  state: SimulatorState,
  token: string,
  nowMs: number,
): AuthorizationRecord | undefined {
  const authorization = state.authorizations.find((candidate) => candidate.access_token.token === token);
  return authorization && !isExpired(authorization, nowMs) ? authorization : undefined;
}

/** One of the caller's own authorizations; anyone else's is as unknown to them as a missing one. */
export function requireOwnAuthorization(state: SimulatorState, account: Account, id: string): AuthorizationRecord {
  const authorization = state.authorizations.find(
    (candidate) => candidate.id === id.toLowerCase() && candidate.account_id === account.id,
  );
  if (!authorization) throw notFound('authorization', "Couldn't find that authorization.");
  return authorization;
}

/** Revokes: the token stops authenticating with the next request. */
export function revokeAuthorization(ctx: SimulatorContext, authorization: AuthorizationRecord): void {
  const authorizations = ctx.store.state.authorizations;
  authorizations.splice(authorizations.indexOf(authorization), 1);
}

export function authorizationView(ctx: SimulatorContext, authorization: AuthorizationRecord, account: Account) {
  return {
    access_token: {
      expires_in: secondsLeft(authorization, ctx.clock.now().getTime()),
      id: authorization.access_token.id,
      token: authorization.access_token.token,
    },
    client: null,
    created_at: authorization.created_at,
    description: authorization.description,
    grant: null,
    id: authorization.id,
    refresh_token: null,
    scope: authorization.scope,
    session: null,
    updated_at: authorization.updated_at,
    user: { email: account.email, full_name: account.name, id: account.id },
  };
}
