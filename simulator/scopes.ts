import type { Request, RequestHandler } from 'express';
import { callerOf } from './auth';
import { ApiError } from './errors';
import type { AuthorizationRecord, Scope } from './state-people';

/**
 * What a token's OAuth scope lets it do. `global` (the API key, a login) does anything. `identity` ("read-only
 * access to account-info") may read the account and revoke its own authorization, nothing else. That an identity
 * token may revoke itself is UNCONFIRMED on real Heroku; the simulator allows it so that a worker can revoke a
 * proof of identity with the proof's own token. Whether Heroku enforces identity scope on every other endpoint is
 * UNCONFIRMED too (reference ui-and-identity §3). Creating authorizations takes a global or write scope. The
 * read/write scopes' other limits (protected resources such as config vars) are not simulated.
 */

type Rule = (req: Request, authorization?: AuthorizationRecord) => boolean;

const readsAccount: Rule = (req) => req.method === 'GET' && req.path === '/account';
const revokesItself: Rule = (req, authorization) =>
  req.method === 'DELETE' && req.path.toLowerCase() === `/oauth/authorizations/${authorization?.id}`;
const createsAuthorization: Rule = (req) => req.method === 'POST' && req.path === '/oauth/authorizations';

const ALLOWS: Record<Scope, Rule> = {
  global: () => true,
  identity: (req, authorization) => readsAccount(req) || revokesItself(req, authorization),
  read: (req) => !createsAuthorization(req),
  'read-protected': (req) => !createsAuthorization(req),
  write: () => true,
  'write-protected': () => true,
};

export const enforceScope: RequestHandler = (req, res, next) => {
  const { authorization } = callerOf(res);
  if (!authorization || authorization.scope.some((scope) => ALLOWS[scope](req, authorization))) {
    next();
    return;
  }
  const scopes = authorization.scope.join(', ');
  next(new ApiError(403, 'forbidden', `This token's scope (${scopes}) does not allow this request.`));
};
