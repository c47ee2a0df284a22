import { randomUUID } from 'node:crypto';
import express, { type Express, type RequestHandler } from 'express';
import { requirePlatformV3 } from './accept';
import { authenticate, presentedToken } from './auth';
import type { SimulatorContext } from './context';
import { controlRouter } from './control';
import { settle } from './domain/settle';
import { endpointNotFound, errorHandler } from './errors';
import { rateLimit } from './rate-limit';
import { accountRouter } from './routes/account';
import { addonsRouter } from './routes/addons';
import { appsRouter } from './routes/apps';
import { collaboratorsRouter } from './routes/collaborators';
import { configVarsRouter } from './routes/config-vars';
import { dataApiRouter } from './routes/data-api';
import { dynoControlRouter } from './routes/dyno-control';
import { dynosRouter } from './routes/dynos';
import { formationRouter } from './routes/formation';
import { logSessionsRouter, logplexRouter } from './routes/log-sessions';
import { oauthRouter } from './routes/oauth';
import { releasesRouter } from './routes/releases';
import { teamsRouter } from './routes/teams';
import { enforceScope } from './scopes';

/**
 * Headers every response carries. Conditional request headers are dropped
 * because express would otherwise answer 304, and heroku-client 3.1.4 crashes
 * on a 304 (reference §2.7).
 */
const baseHeaders: RequestHandler = (req, res, next) => {
  delete req.headers['if-none-match'];
  delete req.headers['if-modified-since'];
  const requestId = randomUUID();
  res.locals.requestId = requestId;
  res.setHeader('Request-Id', requestId);
  next();
};

export function createApp(ctx: SimulatorContext): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use(baseHeaders);
  // Add-on provisioning and Postgres transfers advance with time; control reads must see them advanced too.
  app.use(settle(ctx));
  // So do one-off dynos: they exit when their time is up.
  app.use(ctx.dynos.settleBeforeRequests());
  app.use('/__simulator', dynoControlRouter(ctx));
  app.use('/__simulator', controlRouter(ctx));
  // The log stream is logplex, another service: its URL is the credential, and the API's limits do not apply.
  app.use(logplexRouter(ctx));

  app.use(ctx.calls.middleware());
  // Faults come before everything else of the API, so an injected 429 or reset looks like Heroku's own.
  app.use(ctx.faults.middleware());
  app.use(rateLimit(ctx.rateLimiter, presentedToken));
  app.use(authenticate(ctx));
  app.use(requirePlatformV3);
  app.use(enforceScope);
  // heroku-client labels every request application/json, but other clients may not: bodies are JSON regardless.
  app.use(express.json({ type: () => true }));

  app.use(accountRouter(ctx));
  app.use(oauthRouter(ctx));
  app.use(teamsRouter(ctx));
  app.use(appsRouter(ctx));
  app.use(collaboratorsRouter(ctx));
  app.use(configVarsRouter(ctx));
  app.use(releasesRouter(ctx));
  app.use(formationRouter(ctx));
  app.use(dynosRouter(ctx));
  app.use(logSessionsRouter(ctx));
  app.use(addonsRouter(ctx));
  app.use(dataApiRouter(ctx));

  app.use((_req, _res, next) => next(endpointNotFound));
  app.use(errorHandler);
  return app;
}
