import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage } from 'node:http';
import { activityInfo } from '@temporalio/activity';
import Heroku from 'heroku-client';
// heroku-client's request class, whose retry rule is narrowed below (it has no option for it, and no types).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const HerokuRequest = require('heroku-client/lib/request') as {
  prototype: { isRetryAllowed(error: unknown): boolean; options: { method?: string } };
};
import { herokuFailure, type HerokuRequestError } from './failures';

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

/**
 * One Heroku API (Platform or Postgres data) over heroku-client, turning every failure into a Temporal failure
 * with the right retry semantics.
 *
 * heroku-client's `timeout` option is never used: on expiry it silently re-sends the request, POST bodies included.
 * A hung request is bounded by the activity's own timeout instead.
 */
export class HerokuApiClient {
  private readonly client: Heroku;
  /** RateLimit-Remaining of the latest response: how much API budget the token has left. */
  rateLimitRemaining: number | undefined;

  constructor(
    host: string,
    apiKey: string,
    private readonly rateLimitPauseMs?: number,
  ) {
    this.client = new Heroku({ host, token: apiKey });
  }

  async request<T>(method: Method, path: string, options: RequestOptions = {}): Promise<T> {
    let response: IncomingMessage | undefined;
    // Taken here, not in the middleware: the response's callbacks need not run in the caller's async context.
    const requestIds = method === 'GET' ? undefined : changingRequests.getStore();
    try {
      return await this.client.request({
        method,
        path,
        body: options.body,
        headers: { ...senderHeader(), ...options.headers },
        partial: options.partial,
        // heroku-client exposes no response headers; this hook keeps the last response to read them on failure.
        middleware: (res: unknown, next: () => void) => {
          response = res as IncomingMessage;
          const remaining = Number(response.headers['ratelimit-remaining']);
          if (Number.isFinite(remaining)) this.rateLimitRemaining = remaining;
          const requestId = response.headers['request-id'];
          if (requestIds && typeof requestId === 'string' && requestId) requestIds.push(requestId);
          next();
        },
      } as Parameters<Heroku['request']>[0]);
    } catch (err) {
      throw herokuFailure(describeFailure(method, path, err, response), this.rateLimitPauseMs, lastAttempt());
    }
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
