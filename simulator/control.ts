import express, { Router } from 'express';
import { z } from 'zod';
import type { SimulatorContext } from './context';
import { dataControlRouter } from './control-data';
import { ApiError } from './errors';
import { faultRuleSchema } from './faults';
import { describeIssues } from './validate';

const rateLimitChange = z.object({
  capacity: z.int().nonnegative().optional(),
  refillPerMinute: z.number().nonnegative().optional(),
  remaining: z.int().nonnegative().optional(),
  /** Only this token's bucket; by default every bucket, including the accepted token's. */
  token: z.string().optional(),
});

const clockChange = z.strictObject({ speed: z.number().positive() });
const faultsChange = z.strictObject({ seed: z.int().optional(), rules: z.array(faultRuleSchema) });
const logStreamsDrop = z.strictObject({ how: z.enum(['end', 'cut']).default('end') });

/**
 * Test/benchmark hooks under /__simulator: no auth, no rate limit, not
 * recorded in the call log, plain JSON.
 */
export function controlRouter(ctx: SimulatorContext): Router {
  const router = Router();
  const initialSpeed = ctx.time.speed;
  // A whole state document (POST /seed) is far beyond express's default 100 kB.
  router.use(express.json({ limit: '20mb' }));

  router.get('/calls', (_req, res) => {
    res.json(ctx.calls.list());
  });

  router.get('/effects', (_req, res) => {
    res.json(ctx.effects.list());
  });

  router.get('/state', (_req, res) => {
    res.json(ctx.store.state);
  });

  router.post('/reset', (_req, res) => {
    ctx.store.reset();
    ctx.dynos.reset();
    ctx.logplex.reset();
    ctx.calls.clear();
    ctx.rateLimiter.reset();
    ctx.faults.clear();
    ctx.dataApi.reset();
    ctx.time.speed = initialSpeed;
    res.json({ reset: true });
  });

  router.get('/clock', (_req, res) => {
    res.json({ speed: ctx.time.speed, now: ctx.clock.now().toISOString() });
  });

  router.put('/clock', (req, res) => {
    const parsed = clockChange.safeParse(req.body ?? {});
    if (!parsed.success) throw new ApiError(400, 'bad_request', describeIssues(parsed.error));
    ctx.time.speed = parsed.data.speed;
    res.json({ speed: ctx.time.speed, now: ctx.clock.now().toISOString() });
  });

  router.get('/faults', (_req, res) => {
    res.json(ctx.faults.list());
  });

  /** Adds one rule. */
  router.post('/faults', (req, res) => {
    const parsed = faultRuleSchema.safeParse(req.body ?? {});
    if (!parsed.success) throw new ApiError(400, 'bad_request', describeIssues(parsed.error));
    ctx.faults.add(parsed.data);
    res.status(201).json(ctx.faults.list());
  });

  /** Replaces every rule (and optionally the PRNG seed): `{seed?, rules: [...]}`. */
  router.put('/faults', (req, res) => {
    const parsed = faultsChange.safeParse(req.body ?? {});
    if (!parsed.success) throw new ApiError(400, 'bad_request', describeIssues(parsed.error));
    ctx.faults.replace(parsed.data.rules, parsed.data.seed);
    res.json(ctx.faults.list());
  });

  router.delete('/faults', (_req, res) => {
    ctx.faults.clear();
    res.json(ctx.faults.list());
  });

  /** How many log streams are open: whether a client is tailing, and whether it hung up. */
  router.get('/log-streams', (_req, res) => {
    res.json({ open: ctx.logplex.openStreams() });
  });

  /** Ends every open log stream (`{how: "end"}`, the default) or cuts its connection (`{how: "cut"}`). */
  router.post('/log-streams/drop', (req, res) => {
    const parsed = logStreamsDrop.safeParse(req.body ?? {});
    if (!parsed.success) throw new ApiError(400, 'bad_request', describeIssues(parsed.error));
    res.json({ dropped: ctx.logplex.drop(parsed.data.how) });
  });

  router.put('/rate-limit', (req, res) => {
    const parsed = rateLimitChange.safeParse(req.body ?? {});
    if (!parsed.success) throw new ApiError(400, 'bad_request', describeIssues(parsed.error));
    const { token, ...change } = parsed.data;
    const keys = token !== undefined ? [token] : new Set([...ctx.rateLimiter.keys(), ctx.token]);
    ctx.rateLimiter.configure(change, keys);
    res.json({ ...ctx.rateLimiter.current(), remaining: ctx.rateLimiter.remaining(token ?? ctx.token) });
  });

  router.use(dataControlRouter(ctx));

  router.use((_req, _res, next) => {
    next(new ApiError(404, 'not_found', 'Unknown simulator control endpoint.'));
  });

  return router;
}
