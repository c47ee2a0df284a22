import { Router } from 'express';
import { callerOf, presentedToken } from '../auth';
import type { SimulatorContext } from '../context';
import type { Account } from '../state';

function accountView(account: Account) {
  return {
    id: account.id,
    email: account.email,
    name: account.name,
    allow_tracking: true,
    beta: false,
    created_at: account.created_at,
    updated_at: account.updated_at,
    last_login: account.last_login,
    verified: true,
    two_factor_authentication: false,
    federated: false,
    sms_number: null,
    suspended_at: null,
    delinquent_at: null,
    identity_provider: null,
    default_organization: null,
    default_team: null,
    country_of_residence: null,
  };
}

export function accountRouter(ctx: SimulatorContext): Router {
  const router = Router();

  // The account of the presented token: the service account's for the simulator's own, a person's for theirs.
  router.get('/account', (_req, res) => {
    res.json(accountView(callerOf(res).account));
  });

  // Free of charge (the rate-limit middleware skips it), like on Heroku.
  router.get('/account/rate-limits', (req, res) => {
    res.json({ remaining: ctx.rateLimiter.remaining(presentedToken(req) ?? '') });
  });

  return router;
}
