import { activityInfo, heartbeat, sleep } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { millisecondsFromEnv } from '../lib/env-settings';

/**
 * How long waits (transfers, one-off dynos) look at Heroku. A transfer's reads are planned from its pace
 * (transfer-polls.ts) and a dyno's log is followed as a stream (one-off-dynos.ts); these bound both: the first
 * interval, the longest one (and the only one on a low API budget), and the watch window.
 */
export interface PollingSettings {
  initialMs: number;
  maxMs: number;
  /** How long one watch activity waits before reporting progress back to the workflow. */
  watchMs: number;
}

/**
 * A watch window of a minute: the step's progress ("restoring b016: 42 % of 9.6 MB") is at most a minute old, and a
 * long wait costs the workflow two activities a minute. Since waits no longer poll on a timer, a window costs a
 * read or a log session, not a dozen reads: 30 s windows were a third of a 2-minute wait's reads. The watch's
 * start-to-close timeout is 2 minutes (workflows/activities.ts): a window, its last read stretched to the
 * predicted end (at most `maxMs`), and retries of that read fit with room to spare.
 */
export const DEFAULT_POLLING: PollingSettings = { initialMs: 1_000, maxMs: 15_000, watchMs: 60_000 };

/** Below this much API budget (RateLimit-Remaining), waits poll at their slowest: other runbooks need it too. */
export const LOW_RATE_LIMIT = 300;

/** The next poll interval: growing by half from a short first one, at most `maxMs`, and at once `maxMs` on a low budget. */
export function nextPollInterval(
  current: number,
  polling: PollingSettings,
  rateLimitRemaining: number | undefined,
): number {
  if (rateLimitRemaining !== undefined && rateLimitRemaining < LOW_RATE_LIMIT) return polling.maxMs;
  return Math.min(Math.round(current * 1.5), polling.maxMs);
}

/**
 * One poll of a long wait, through Heroku's blips: a read that fails and may be retried (5xx, 429, a dropped
 * connection) is tried again after `interval` while the watch has time left, instead of failing the attempt — a
 * watch makes dozens of reads, and at a few per cent of failures each, attempt after attempt would fail and the
 * run give up on a wait that was going fine. A refusal (4xx), or Heroku failing for the watch's whole window, fails
 * the attempt as before (the activity's retry policy takes it from there).
 */
export async function pollThroughBlips<T>(read: () => Promise<T>, deadline: number, interval: number): Promise<T> {
  for (;;) {
    try {
      return await read();
    } catch (err) {
      const transient = err instanceof ApplicationFailure && !err.nonRetryable;
      if (!transient || Date.now() + interval > deadline) throw err;
      await sleep(interval); // cancellation-aware
    }
  }
}

/** Polling from RUNBOOK_POLL_INITIAL_MS, RUNBOOK_POLL_MAX_MS, RUNBOOK_POLL_WATCH_MS (the defaults where unset). */
export function pollingFromEnv(env: NodeJS.ProcessEnv = process.env): PollingSettings {
  const read = (name: string, fallback: number) => millisecondsFromEnv(name, env, { whole: true }) ?? fallback;
  return {
    initialMs: read('RUNBOOK_POLL_INITIAL_MS', DEFAULT_POLLING.initialMs),
    maxMs: read('RUNBOOK_POLL_MAX_MS', DEFAULT_POLLING.maxMs),
    watchMs: read('RUNBOOK_POLL_WATCH_MS', DEFAULT_POLLING.watchMs),
  };
}

/**
 * How often a waiting watch heartbeats: a quarter of its heartbeat timeout (at most 5 s). The SDK throttles what it
 * sends; a cancellation reaches the activity only in the answer to a heartbeat.
 */
export function heartbeatEveryMs(): number {
  return Math.max(50, Math.min(5_000, (activityInfo().heartbeatTimeoutMs ?? 20_000) / 4));
}

/** Sleeps `ms`, heartbeating `details` on the way: a long sleep must not look like a dead worker. Cancellation-aware. */
export async function sleepHeartbeating(ms: number, details: unknown): Promise<void> {
  const until = Date.now() + ms;
  const every = heartbeatEveryMs();
  for (let left = ms; left > 0; left = until - Date.now()) {
    await sleep(Math.min(left, every));
    heartbeat(details);
  }
}
