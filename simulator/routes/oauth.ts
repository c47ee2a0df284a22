import { Router } from 'express';
import { z } from 'zod';
import { callerOf } from '../auth';
import type { SimulatorContext } from '../context';
import {
  authorizationView,
  createAuthorization,
  requireOwnAuthorization,
  revokeAuthorization,
} from '../domain/authorizations';
import { sendList } from '../range';
import type { AuthorizationRecord } from '../state-people';
import { SCOPES } from '../state-people';
import { parseBody } from '../validate';

const authorizationCreate = z.object({
  // The schema requires a scope, but `heroku authorizations:create` without --scope sends none and real Heroku
  // makes a global authorization then (the README's own `heroku authorizations:create --description …`).
  scope: z.array(z.enum(SCOPES)).min(1).nullish(),
  description: z.string().nullish(),
  // An integer number of seconds, or null for no expiry; the CLI sends its --expires-in flag as a string.
  expires_in: z
    .union([z.int().nonnegative(), z.string().regex(/^\d+$/, 'expected an integer number of seconds')])
    .nullish(),
});

export function oauthRouter(ctx: SimulatorContext): Router {
  const router = Router();

  // Anyone may mint a token for themselves with their own (global) token: how an approver proves who they are.
  router.post('/oauth/authorizations', (req, res) => {
    const { account } = callerOf(res);
    const body = parseBody(authorizationCreate, req.body);
    const authorization = createAuthorization(ctx, account, {
      scope: body.scope ?? ['global'],
      description: body.description ?? null,
      expires_in: body.expires_in === undefined || body.expires_in === null ? null : Number(body.expires_in),
    });
    ctx.store.save();
    res.status(201).json(authorizationView(ctx, authorization, account));
  });

  // The caller's own authorizations, tokens shown (as the CLI's logout relies on).
  router.get('/oauth/authorizations', (req, res) => {
    const { account } = callerOf(res);
    const own = ctx.store.state.authorizations.filter((authorization) => authorization.account_id === account.id);
    sendList(req, res, own, { id: (authorization: AuthorizationRecord) => authorization.id }, (authorization) =>
      authorizationView(ctx, authorization, account),
    );
  });

  router.get('/oauth/authorizations/:id', (req, res) => {
    const { account } = callerOf(res);
    const authorization = requireOwnAuthorization(ctx.store.state, account, req.params.id);
    res.json(authorizationView(ctx, authorization, account));
  });

  // Answers the authorization as it was; its token no longer authenticates from the next request on.
  router.delete('/oauth/authorizations/:id', (req, res) => {
    const { account } = callerOf(res);
    const authorization = requireOwnAuthorization(ctx.store.state, account, req.params.id);
    const view = authorizationView(ctx, authorization, account);
    revokeAuthorization(ctx, authorization);
    ctx.store.save();
    res.json(view);
  });

  return router;
}
