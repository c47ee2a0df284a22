import { randomUUID } from 'node:crypto';
import express, { type Express, type RequestHandler } from 'express';
import { requirePlatformV3 } from './accept';
import { authenticate, presentedToken } from './auth';
import type { SimulatorContext } from './context';
import { controlRouter } from './control';
import { endpointNotFound, errorHandler } from './errors';
import { rateLimit } from './rate-limit';
import { accountRouter } from './routes/account';
import { appsRouter } from './routes/apps';
import { configVarsRouter } from './routes/config-vars';
import { formationRouter } from './routes/formation';
import { releasesRouter } from './routes/releases';

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
  app.use('/__simulator', controlRouter(ctx));

  app.use(ctx.calls.middleware());
  // Faults come before everything else of the API, so an injected 429 or reset looks like Heroku's own.
  app.use(ctx.faults.middleware());
  app.use(rateLimit(ctx.rateLimiter, presentedToken));
  app.use(authenticate(ctx.token));
  app.use(requirePlatformV3);
  // heroku-client labels every request application/json, but other clients may not: bodies are JSON regardless.
  app.use(express.json({ type: () => true }));

  app.use(accountRouter(ctx));
  app.use(appsRouter(ctx));
  app.use(configVarsRouter(ctx));
  app.use(releasesRouter(ctx));
  app.use(formationRouter(ctx));

  app.use((_req, _res, next) => next(endpointNotFound));
  app.use(errorHandler);
  return app;
}
