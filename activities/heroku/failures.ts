import { ApplicationFailure } from '@temporalio/common';
import { FailureTypes } from '../../common/errors';
import type { ApiBudgetSettings } from '../../lib/api-budget/settings';

/** What a failed Heroku request looked like, with everything a reader needs and no secrets. */
export interface HerokuRequestError {
  method: string;
  path: string;
  /** HTTP status, or undefined when no response came (network failure). */
  status?: number;
  /** Heroku's error id (`not_found`, `unauthorized`, …) and message, from the JSON error body. */
  id?: string;
  message?: string;
  /** Heroku's Request-Id of the failed response: what Heroku support asks for. */
  requestId?: string;
  /** RateLimit-Remaining of the failed response. */
  rateLimitRemaining?: number;
  /** The network error code (ECONNREFUSED, …) when there was no response. */
  networkCode?: string;
}

/**
 * Pause before sending again after a 429 that does not say what is left (no RateLimit-Remaining, so not the
 * account's budget running out as far as anyone can tell): Heroku refills about 75 tokens a minute.
 */
export const DEFAULT_RATE_LIMIT_PAUSE_MS = 10_000;

/** The failure's text when the activity's retry policy has no attempts left, else `what` (it will retry). */
function retryingOr(gaveUpAfter: number | undefined, what: string): string {
  return gaveUpAfter
    ? `gave up after ${gaveUpAfter} attempts. Heroku may be having trouble (status.heroku.com): run the runbook again when it answers`
    : what;
}

/**
 * Maps a failed Heroku request onto Temporal's retry semantics: a request Heroku refused (4xx) fails at once and
 * says what to fix; throttling, server errors and network failures are retried with backoff.
 */
export function herokuFailure(
  e: HerokuRequestError,
  rateLimitPauseMs = DEFAULT_RATE_LIMIT_PAUSE_MS,
  /** Set on the activity's last attempt: the failure then says it gave up, not that it retries. */
  gaveUpAfter?: number,
): ApplicationFailure {
  const retrying = (what: string) => retryingOr(gaveUpAfter, what);
  const request = `${e.method} ${e.path}`;
  const heroku = e.id || e.message ? ` (${[e.id, e.message].filter(Boolean).join(': ')})` : '';
  const ref = e.requestId ? ` [Heroku Request-Id ${e.requestId}]` : '';
  const details = [{ ...e }];

  if (e.status === undefined) {
    return ApplicationFailure.create({
      type: FailureTypes.HerokuUnavailable,
      message: `Could not reach Heroku for ${request}: ${e.networkCode ?? 'network error'}; ${retrying('retrying. If it persists, check HEROKU_API_URL and the network')}.`,
      details,
    });
  }
  switch (e.status) {
    case 401:
      return ApplicationFailure.create({
        type: FailureTypes.HerokuUnauthorized,
        nonRetryable: true,
        message:
          `Heroku rejected the worker's API token on ${request}${heroku}${ref}. ` +
          'Set HEROKU_API_KEY for the worker to a valid token (`heroku authorizations:create`), restart the worker, and run the runbook again.',
        details,
      });
    case 403:
      return ApplicationFailure.create({
        type: FailureTypes.HerokuForbidden,
        nonRetryable: true,
        message: `Heroku refused ${request}${heroku}${ref}. The account behind HEROKU_API_KEY lacks access to do this; ask a team admin for access to the app.`,
        details,
      });
    case 404:
      return ApplicationFailure.create({
        type: FailureTypes.HerokuNotFound,
        nonRetryable: true,
        message: `Heroku found nothing at ${request}${heroku}${ref}. Check the app name (or the environment's app in the runbook config) and that the token's account can see it.`,
        details,
      });
    case 429:
      return ApplicationFailure.create({
        type: FailureTypes.HerokuRateLimited,
        message: `Heroku's API rate limit is exhausted${e.rateLimitRemaining !== undefined ? ` (RateLimit-Remaining: ${e.rateLimitRemaining})` : ''} on ${request}; ${retrying('retrying after a pause')}.`,
        nextRetryDelay: rateLimitPauseMs,
        details,
      });
    default:
      if (e.status >= 500) {
        return ApplicationFailure.create({
          type: FailureTypes.HerokuUnavailable,
          message: `Heroku answered ${e.status} to ${request}${heroku}${ref}; ${retrying('retrying with backoff')}.`,
          details,
        });
      }
      return ApplicationFailure.create({
        type: FailureTypes.HerokuRejected,
        nonRetryable: true,
        message: `Heroku rejected ${request} with ${e.status}${heroku}${ref}. Nothing was changed by this request; fix the input and run again.`,
        details,
      });
  }
}

/**
 * The API budget the workers share has no token for this request before the attempt would time out: the attempt
 * fails without sending anything, and Temporal tries it again once the budget should have one. Nothing reached
 * Heroku, so a change activity is safe to retry.
 */
export function budgetExhausted(
  method: string,
  path: string,
  waitMs: number,
  settings: ApiBudgetSettings,
  gaveUpAfter?: number,
): ApplicationFailure {
  const seconds = Math.ceil(waitMs / 1000);
  return ApplicationFailure.create({
    type: FailureTypes.HerokuRateLimited,
    message:
      `The Heroku API budget the workers share (${settings.perHour} requests/h, RUNBOOK_HEROKU_BUDGET_PER_HOUR) has no request free for ${method} ${path} ` +
      `for ${seconds} s, longer than this attempt may wait; nothing was sent. ` +
      (gaveUpAfter
        ? `Gave up after ${gaveUpAfter} attempts: too many runs share the budget; the run waits for it and asks again.`
        : `Retrying in ${seconds} s.`),
    nextRetryDelay: waitMs,
    details: [{ method, path, budgetWaitMs: waitMs }],
  });
}

/** The API budget's store (the audit database) failed: nothing was sent; the attempt is retried. */
export function budgetUnavailable(location: string, err: unknown): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'ApiBudgetUnavailable',
    message: `Cannot use the Heroku API budget in ${location} (RUNBOOK_AUDIT_DB): ${(err as Error).message ?? String(err)}; nothing was sent to Heroku, retrying. Check that the audit database is up.`,
  });
}
