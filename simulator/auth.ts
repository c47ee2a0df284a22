import type { Request, RequestHandler, Response } from 'express';
import type { SimulatorContext } from './context';
import { authorizationByToken } from './domain/authorizations';
import { findAccount } from './domain/people';
import { ApiError } from './errors';
import type { Account } from './state';
import type { AuthorizationRecord } from './state-people';

/**
 * The token a request presents: `Bearer <token>` (Heroku CLI) or
 * `Basic base64(<user>:<token>)` (heroku-client sends an empty user; Heroku
 * also accepts an email there, so the user part is ignored).
 */
export function presentedToken(req: Request): string | undefined {
  const [scheme, credentials] = (req.headers.authorization ?? '').trim().split(/\s+/, 2);
  if (!credentials) return undefined;
  if (/^bearer$/i.test(scheme)) return credentials;
  if (/^basic$/i.test(scheme)) {
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon === -1 ? undefined : decoded.slice(colon + 1);
  }
  return undefined;
}

/**
 * Who a request is from: the account, and the OAuth authorization whose token it presented. The simulator's own
 * token (`--token`) is the service account's API key, which is no authorization and has global scope.
 */
export interface Caller {
  account: Account;
  authorization: AuthorizationRecord | null;
}

const unauthorized = new ApiError(401, 'unauthorized', 'Invalid credentials provided.');

export function resolveCaller(ctx: SimulatorContext, token: string | undefined): Caller | undefined {
  if (token === undefined) return undefined;
  const state = ctx.store.state;
  if (token === ctx.token) return { account: state.account, authorization: null };
  const authorization = authorizationByToken(state, token, ctx.clock.now().getTime());
  const account = authorization && findAccount(state, authorization.account_id);
  return account && { account, authorization };
}

/** The authenticated caller of a request (set by `authenticate`). */
export function callerOf(res: Response): Caller {
  return { account: res.locals.account as Account, authorization: res.locals.authorization as AuthorizationRecord };
}

/**
 * Authenticates by any known token: an unknown, expired or revoked one is 401 unauthorized. The caller is kept in
 * `res.locals.account` / `res.locals.authorization`, and the rest of the request acts as that account, so every
 * change it makes is attributed to it (effects' `actor`, releases' `user`).
 */
export function authenticate(ctx: SimulatorContext): RequestHandler {
  return (req, res, next) => {
    const caller = resolveCaller(ctx, presentedToken(req));
    if (!caller) {
      next(unauthorized);
      return;
    }
    res.locals.account = caller.account;
    res.locals.authorization = caller.authorization;
    const { id, email } = caller.account;
    ctx.effects.as({ id, email }, () => next(), String(res.locals.requestId));
  };
}
