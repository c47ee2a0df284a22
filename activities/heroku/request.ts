import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage } from 'node:http';
import { activityInfo } from '@temporalio/activity';
import Heroku from 'heroku-client';
// heroku-client's request class, whose retry rule is narrowed below (it has no option for it, and no types).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const HerokuRequest = require('heroku-client/lib/request') as {
  prototype: { isRetryAllowed(error: unknown): boolean; options: { method?: string } };
};
import type { ApiBudget } from '../../lib/api-budget/api-budget';
import {
  budgetExhausted,
  budgetUnavailable,
  DEFAULT_RATE_LIMIT_PAUSE_MS,
  herokuFailure,
  type HerokuRequestError,
} from './failures';
import { waitingHere, type Waiting } from './waiting';

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  /** Do not follow Next-Range: one page is all the caller wants. */
  partial?: boolean;
}

/**
 * heroku-client re-sends a request by itself after a connection error (ECONNRESET, a socket hang-up…), POST and
 * PATCH bodies included, up to 4 times and without telling the caller (reference §6.4). A connection dropped after
 * Heroku made the change then makes it again: a second one-off dyno, backup or release, which the chaos runs found.
 * Only reads are re-sent now; a change that lost its answer fails its attempt, and the activity's retry finds what
 * the first request did (each change activity looks before it asks again).
 */
const retryAllowed = HerokuRequest.prototype.isRetryAllowed;
HerokuRequest.prototype.isRetryAllowed = function (this: { options: { method?: string } }, error: unknown) {
  return (this.options.method ?? 'GET').toUpperCase() === 'GET' && retryAllowed.call(this, error);
};

/** The Request-Ids of the changing requests (not GETs) made within `collectRequestIds`: one list per activity call. */
const changingRequests = new AsyncLocalStorage<string[]>();

/**
 * Runs `body` (a change activity), collecting the `Request-Id` Heroku answered each of its non-GET requests with,
 * in order: what Heroku support asks for about a change. Requests made outside any collection are not kept.
 */
export async function collectRequestIds<T>(body: () => Promise<T>): Promise<{ value: T; requestIds: string[] }> {
  const requestIds: string[] = [];
  const value = await changingRequests.run(requestIds, body);
  return { value, requestIds };
}

/** How a client spends the account's API budget. */
export interface HerokuClientOptions {
  /**
   * The budget every worker on this token shares: each request takes its token from it first, waiting its turn,
   * and Heroku's RateLimit-Remaining lowers it. None (a person's own token, tests): requests go at once.
   */
  budget?: ApiBudget;
  /** Pause before sending again after a 429 that does not say what is left (RUNBOOK_RATE_LIMIT_PAUSE_MS). */
  rateLimitPauseMs?: number;
}

/** Outside an activity (start-up checks) nothing bounds a wait but this: a few 429s in a row fail the request. */
const RESENDS_OUTSIDE_AN_ACTIVITY = 3;

/** Heroku does not count it (reference §2.6): it spends nothing of the budget. */
const isFree = (method: Method, path: string) => method === 'GET' && path === '/account/rate-limits';

/**
 * One Heroku API (Platform or Postgres data) over heroku-client, turning every failure into a Temporal failure
 * with the right retry semantics.
 *
 * Every request takes its token from the API budget first (pages of a list too: they are followed here, not by
 * heroku-client, so that none goes uncounted; only heroku-client's own re-sends of a read after a connection error
 * are not charged, and Heroku's count in the next answer makes up for them). A 429 is sent again within the activity attempt, once the budget
 * has a token or after a pause: Heroku applied nothing, so even a POST is safe to repeat, and a run slows down
 * instead of failing. Every wait is bounded by the attempt's own timeouts and heartbeats (see waiting.ts).
 *
 * heroku-client's `timeout` option is never used: on expiry it silently re-sends the request, POST bodies included.
 * A hung request is bounded by the activity's own timeout instead.
 */
export class HerokuApiClient {
  private readonly client: Heroku;
  private readonly budget?: ApiBudget;
  private readonly rateLimitPauseMs: number;
  /** RateLimit-Remaining of the latest response: how much API budget the token has left, by Heroku's count. */
  rateLimitRemaining: number | undefined;

  constructor(host: string, apiKey: string, options: HerokuClientOptions = {}) {
    this.client = new Heroku({ host, token: apiKey });
    this.budget = options.budget;
    this.rateLimitPauseMs = options.rateLimitPauseMs ?? DEFAULT_RATE_LIMIT_PAUSE_MS;
  }

  /**
   * What the shared budget has left now (negative: requests are queued for tokens), or undefined without one: for
   * a poll that would rather slow down than queue. One database read.
   */
  async budgetLevel(): Promise<number | undefined> {
    return this.budget?.level();
  }

  async request<T>(method: Method, path: string, options: RequestOptions = {}): Promise<T> {
    const waiting = waitingHere();
    let aggregate: unknown;
    let range: string | undefined;
    for (;;) {
      const page = await this.send(method, path, options, range, waiting);
      aggregate = Array.isArray(page.body) ? [...((aggregate as unknown[]) ?? []), ...page.body] : page.body;
      if (options.partial || !page.nextRange) return aggregate as T;
      range = page.nextRange;
    }
  }

  /** One request (one page), sent again after 429s: its body and the Next-Range of a list that goes on. */
  private async send(
    method: Method,
    path: string,
    options: RequestOptions,
    range: string | undefined,
    waiting: Waiting,
  ): Promise<{ body: unknown; nextRange?: string }> {
    // Taken here, not in the middleware: the response's callbacks need not run in the caller's async context.
    const requestIds = method === 'GET' ? undefined : changingRequests.getStore();
    for (let resent = 0; ; resent++) {
      if (!isFree(method, path)) await this.takeToken(method, path, waiting);
      let response: IncomingMessage | undefined;
      let body: unknown;
      let error: unknown;
      try {
        body = await this.client.request({
          method,
          path,
          body: options.body,
          headers: { ...senderHeader(), ...options.headers, ...(range && { Range: range }) },
          // One page per request: `request` follows Next-Range itself, each page taking its token.
          partial: true,
          // heroku-client exposes no response headers; this hook keeps the last response to read them.
          middleware: (res: unknown, next: () => void) => {
            response = res as IncomingMessage;
            const requestId = response.headers['request-id'];
            if (requestIds && typeof requestId === 'string' && requestId) requestIds.push(requestId);
            next();
          },
        } as Parameters<Heroku['request']>[0]);
      } catch (err) {
        error = err;
      }
      await this.observe(response);
      if (error === undefined) {
        const nextRange = response?.headers['next-range'];
        return { body, nextRange: typeof nextRange === 'string' && nextRange ? nextRange : undefined };
      }
      const failure = describeFailure(method, path, error, response);
      // A 429: Heroku applied nothing. When it said what is left, the budget now knows (observe) and the next
      // token waits for the refill; when it did not, a pause. Sent again either way, while the attempt has time.
      const pauseMs = this.budget && failure.rateLimitRemaining !== undefined ? 0 : this.rateLimitPauseMs;
      const giveUp =
        failure.status !== 429 ||
        pauseMs > waiting.maxWaitMs() ||
        (!waiting.inActivity && resent >= RESENDS_OUTSIDE_AN_ACTIVITY);
      if (giveUp) throw herokuFailure(failure, this.rateLimitPauseMs, lastAttempt());
      await waiting.wait(pauseMs);
    }
  }

  /** Waits for this request's token in the shared budget; fails the attempt if it would come too late for it. */
  private async takeToken(method: Method, path: string, waiting: Waiting): Promise<void> {
    if (!this.budget) return;
    let reservation;
    try {
      reservation = await this.budget.reserve(waiting.maxWaitMs());
    } catch (err) {
      throw budgetUnavailable(this.budget.location, err);
    }
    if (!reservation.granted)
      throw budgetExhausted(method, path, reservation.waitMs, this.budget.settings, lastAttempt());
    if (reservation.waitMs === 0) return;
    try {
      await waiting.wait(reservation.waitMs);
    } catch (err) {
      // Cancelled while waiting: the token goes back to the others.
      await this.budget.release().catch(() => undefined);
      throw err;
    }
  }

  /** Heroku's count of what is left (RateLimit-Remaining, on every answer): kept, and lowers the budget. */
  private async observe(response: IncomingMessage | undefined): Promise<void> {
    const remaining = Number(response?.headers['ratelimit-remaining'] ?? NaN);
    if (!Number.isFinite(remaining)) return;
    this.rateLimitRemaining = remaining;
    // Best effort: a request that was answered is not failed for this. The budget only learns less (and its store
    // failing shows on the next token taken).
    await this.budget?.observe(remaining).catch(() => undefined);
  }
}

/**
 * `Runbook-Activity: <workflow ID> <run ID> <activity ID> <activity type>` (each percent-encoded), on every request
 * an activity makes: Heroku ignores it, but a proxy's or the simulator's log can then tie each request — and the
 * change it made — to the run and the step that sent it, retries included (they share the activity ID). IDs only:
 * nothing secret. None outside an activity (the worker's start-up checks).
 */
function senderHeader(): Record<string, string> {
  let info: ReturnType<typeof activityInfo>;
  try {
    info = activityInfo();
  } catch {
    return {};
  }
  // Absent for a standalone activity (none here): the workflow is what ties a request to a run.
  if (!info.workflowExecution) return {};
  const { workflowId, runId } = info.workflowExecution;
  return {
    'Runbook-Activity': [workflowId, runId, info.activityId, info.activityType].map(encodeURIComponent).join(' '),
  };
}

/** In an activity's last attempt (by its retry policy): how many attempts that makes. Else undefined. */
function lastAttempt(): number | undefined {
  let info: ReturnType<typeof activityInfo>;
  try {
    info = activityInfo();
  } catch {
    return undefined; // not in an activity (the worker's start-up checks, tests)
  }
  const maximum = info.retryPolicy?.maximumAttempts;
  return maximum && info.attempt >= maximum ? info.attempt : undefined;
}

function describeFailure(
  method: string,
  path: string,
  err: unknown,
  res: IncomingMessage | undefined,
): HerokuRequestError {
  const e = err as { statusCode?: number; body?: unknown; code?: string; message?: string };
  const body = typeof e.body === 'object' && e.body !== null ? (e.body as { id?: unknown; message?: unknown }) : {};
  const header = (name: string) => {
    const value = res?.headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const remaining = header('ratelimit-remaining');
  return {
    method,
    path,
    status: e.statusCode,
    id: typeof body.id === 'string' ? body.id : undefined,
    message:
      typeof body.message === 'string'
        ? body.message
        : typeof e.body === 'string' && e.body
          ? e.body.slice(0, 200)
          : undefined,
    requestId: e.statusCode ? header('request-id') : undefined,
    rateLimitRemaining: remaining === undefined ? undefined : Number(remaining),
    networkCode: e.statusCode ? undefined : (e.code ?? e.message),
  };
}
