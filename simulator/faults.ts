import type { RequestHandler, Response } from 'express';
import { z } from 'zod';

/**
 * Injected faults, per route: what real networks and real Heroku do to clients at the worst moment.
 * - `error`:           answer an error status (500, 503, 429) without doing anything;
 * - `latency`:         add a delay, then serve the request normally;
 * - `reset`:           drop the connection before doing anything;
 * - `apply-then-fail`: do the request — the side effect happens — then answer 503 (`then: "error"`) or drop the
 *                      connection (`then: "drop"`). This is what makes a naive retry create a second backup,
 *                      restore or dyno, and what exactly-once tests are run against. `then: "delay"` holds the
 *                      (normal) answer back for `latencyMs`: the window in which a test kills the worker.
 * A rule fires for the next `count` matching requests, or with `probability` p (deterministic: seeded PRNG).
 */
export const faultRuleSchema = z
  .strictObject({
    /** HTTP method to match; any when omitted. */
    method: z.string().toUpperCase().optional(),
    /** Path pattern: `*` matches one path segment, `**` any number; e.g. `/client/v11/databases/*\/restores`. */
    path: z.string().startsWith('/'),
    action: z.enum(['error', 'latency', 'reset', 'apply-then-fail']),
    status: z.union([z.literal(429), z.literal(500), z.literal(502), z.literal(503)]).default(503),
    /** For apply-then-fail: answer an error status, or drop the connection. */
    then: z.enum(['error', 'drop', 'delay']).default('error'),
    latencyMs: z.int().nonnegative().default(0),
    count: z.int().positive().optional(),
    probability: z.number().min(0).max(1).optional(),
  })
  .refine((rule) => rule.count !== undefined || rule.probability !== undefined, {
    message: 'give count (the next N matching requests) or probability (0..1)',
    path: ['count'],
  })
  .refine((rule) => (rule.action !== 'latency' && rule.then !== 'delay') || rule.latencyMs > 0, {
    message: 'latency (and then: "delay") needs latencyMs > 0',
    path: ['latencyMs'],
  });

export type FaultRule = z.output<typeof faultRuleSchema>;
export type FaultRuleInput = z.input<typeof faultRuleSchema>;

interface ActiveRule extends FaultRule {
  id: number;
  pattern: RegExp;
  /** Requests this rule fired on. */
  hits: number;
}

/** mulberry32: a small seeded PRNG, so probabilistic faults repeat exactly for the same seed and traffic. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A fault rule's path pattern as a RegExp (`*` one segment, `**` any number): also how tests match the call log. */
export function pathPattern(path: string): RegExp {
  const escaped = path
    .split('/')
    .map((segment) =>
      segment === '**' ? '.*' : segment === '*' ? '[^/]+' : segment.replace(/[.+?^${}()|[\]\\*]/g, '\\$&'),
    )
    .join('/');
  return new RegExp(`^${escaped.replace(/\/\.\*$/, '(?:/.*)?')}$`);
}

const ERROR_IDS: Record<number, [string, string]> = {
  429: ['rate_limit', 'Your account reached the API rate limit\nPlease wait a few minutes before making new requests'],
  500: ['internal_server_error', 'Internal server error.'],
  502: ['bad_gateway', 'Bad gateway.'],
  503: ['service_unavailable', 'The service is temporarily unavailable. Please try again later.'],
};

function sendFault(res: Response, status: number): void {
  const [id, message] = ERROR_IDS[status] ?? ERROR_IDS[503];
  res.status(status).json({ id, message });
}

export class Faults {
  private rules: ActiveRule[] = [];
  private nextId = 1;
  private random: () => number;

  constructor(private seed = 1) {
    this.random = prng(seed);
  }

  add(input: FaultRuleInput): ActiveRule {
    const rule = faultRuleSchema.parse(input);
    const active: ActiveRule = { ...rule, id: this.nextId++, pattern: pathPattern(rule.path), hits: 0 };
    this.rules.push(active);
    return active;
  }

  /** Replaces every rule, and restarts the PRNG from `seed` (default: the current seed). */
  replace(inputs: FaultRuleInput[], seed = this.seed): ActiveRule[] {
    const rules = inputs.map((input) => faultRuleSchema.parse(input));
    this.clear(seed);
    return rules.map((rule) => this.add(rule));
  }

  clear(seed = this.seed): void {
    this.rules = [];
    this.seed = seed;
    this.random = prng(seed);
  }

  list(): { seed: number; rules: Array<Omit<ActiveRule, 'pattern'>> } {
    return { seed: this.seed, rules: this.rules.map(({ pattern: _pattern, ...rule }) => rule) };
  }

  /** The first rule that fires for this request, consuming one of its `count`. */
  private take(method: string, path: string): ActiveRule | undefined {
    for (const rule of this.rules) {
      if (rule.method && rule.method !== method) continue;
      if (!rule.pattern.test(path)) continue;
      if (rule.count !== undefined) {
        if (rule.hits >= rule.count) continue;
      } else if (this.random() >= (rule.probability ?? 0)) {
        continue;
      }
      rule.hits++;
      return rule;
    }
    return undefined;
  }

  middleware(): RequestHandler {
    return (req, res, next) => {
      const rule = this.take(req.method, req.path);
      if (!rule) return next();
      switch (rule.action) {
        case 'error':
          return sendFault(res, rule.status);
        case 'reset':
          req.socket.destroy();
          return;
        case 'latency':
          setTimeout(next, rule.latencyMs);
          return;
        case 'apply-then-fail':
          failAfterApplying(res, rule);
          return next();
      }
    };
  }
}

/**
 * Lets the handler apply the request, then swaps its answer for a failure: the client never learns that the
 * backup, restore or dyno it asked for exists.
 */
function failAfterApplying(res: Response, rule: FaultRule): void {
  const end = res.end.bind(res) as (...args: unknown[]) => Response;
  let replaced = false;
  res.end = ((...args: unknown[]) => {
    if (replaced) return end(...args);
    replaced = true;
    if (rule.then === 'drop') {
      res.socket?.destroy();
      return res;
    }
    if (rule.then === 'delay') {
      // unref: a held-back answer must not keep a closing simulator (or a test process) alive.
      setTimeout(() => end(...args), rule.latencyMs).unref();
      return res;
    }
    const [id, message] = ERROR_IDS[rule.status] ?? ERROR_IDS[503];
    const body = JSON.stringify({ id, message });
    res.statusCode = rule.status;
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Length', Buffer.byteLength(body));
    return end(body);
  }) as Response['end'];
}
