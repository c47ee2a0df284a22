import { Router } from 'express';
import { z } from 'zod';
import type { SimulatorContext } from '../context';
import { notFound } from '../errors';
import { parseBody } from '../validate';

/**
 * The CLI sends `dyno` (the old name) where the current schema says `dyno_name`, and `type` for Fir apps; all three
 * filter by dyno name or process type. Null is the same as absent, as heroku-client users may send it.
 */
const createBody = z.object({
  dyno: z.string().nullish(),
  dyno_name: z.string().nullish(),
  type: z.string().nullish(),
  lines: z.int().nonnegative().nullish(),
  source: z.string().nullish(),
  tail: z.boolean().nullish(),
});

const LOGPLEX_PATH = '/logplex/sessions';

/** `POST /apps/{app}/log-sessions` (reference §3.7), behind the API's auth like every other route. */
export function logSessionsRouter(ctx: SimulatorContext): Router {
  const router = Router();

  router.post('/apps/:app/log-sessions', (req, res) => {
    const app = ctx.store.requireApp(req.params.app);
    const body = parseBody(createBody, req.body);
    const session = ctx.logplex.create(app.id, {
      filter: { dyno: body.dyno ?? body.dyno_name ?? body.type ?? undefined, source: body.source ?? undefined },
      lines: body.lines ?? undefined,
      tail: body.tail ?? undefined,
    });
    res.status(201).json({
      id: session.id,
      // Served by this same server, reached the way the client reached the API.
      logplex_url: `${req.protocol}://${req.get('host')}${LOGPLEX_PATH}/${session.id}`,
      created_at: session.created_at,
      updated_at: session.created_at,
    });
  });

  return router;
}

/**
 * The log stream a session's `logplex_url` points at: Server-Sent Events, no API token (the URL is the capability),
 * not rate-limited and not in the API call log, since on Heroku it is another service (logplex).
 */
export function logplexRouter(ctx: SimulatorContext): Router {
  const router = Router();

  router.get(`${LOGPLEX_PATH}/:id`, (req, res) => {
    const session = ctx.logplex.get(req.params.id);
    if (!session) throw notFound('log_session', 'Log session not found.');
    ctx.logplex.stream(session, res);
  });

  return router;
}
