import express, { Router } from 'express';
import { z } from 'zod';
import type { SimulatorContext } from '../context';
import { outcomeRuleSchema } from '../domain/dyno-outcomes';
import { ApiError } from '../errors';
import { describeIssues } from '../validate';

const outcomesChange = z.strictObject({ rules: z.array(outcomeRuleSchema) });

function parse<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) throw new ApiError(400, 'bad_request', describeIssues(parsed.error));
  return parsed.data;
}

/**
 * Control hooks for dynos under /__simulator (no auth, like the others): the command-outcome table, which
 * `POST /__simulator/reset` restores to the defaults, and the rendezvous certificate clients must trust.
 */
export function dynoControlRouter(ctx: SimulatorContext): Router {
  const router = Router();
  // Mounted before the main control router, it parses every control request: a whole state document (POST /seed) too.
  router.use(express.json({ limit: '20mb' }));

  router.get('/dyno-outcomes', (_req, res) => {
    res.json(ctx.dynos.outcomes.list());
  });

  /** Adds one rule ahead of the others. */
  router.post('/dyno-outcomes', (req, res) => {
    ctx.dynos.outcomes.add(parse(outcomeRuleSchema, req.body));
    res.status(201).json(ctx.dynos.outcomes.list());
  });

  /** Replaces the custom rules: `{rules: [...]}`, first match first. */
  router.put('/dyno-outcomes', (req, res) => {
    ctx.dynos.outcomes.replace(parse(outcomesChange, req.body).rules);
    res.json(ctx.dynos.outcomes.list());
  });

  router.delete('/dyno-outcomes', (_req, res) => {
    ctx.dynos.outcomes.reset();
    res.json(ctx.dynos.outcomes.list());
  });

  router.get('/tls', (_req, res) => {
    const endpoint = ctx.dynos.rendezvous;
    if (!endpoint) throw new ApiError(404, 'not_found', 'The rendezvous server is not running.');
    res.json({ certPath: endpoint.certPath, pem: endpoint.pem });
  });

  return router;
}
