import { proxyActivities } from '@temporalio/workflow';
import type { RunbookActivities } from '../activities';

/**
 * Heroku calls are short; what makes them slow is Heroku being unavailable, which is retried with backoff for a
 * few minutes before the run fails and says so. Refusals (4xx) are non-retryable failures and fail at once.
 */
export const heroku = proxyActivities<RunbookActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
});

/** Audit writes: retried the same way; a run whose trail cannot be written fails rather than go unrecorded. */
export const records = proxyActivities<Pick<RunbookActivities, 'recordAudit'>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
});

/**
 * Starting a transfer or a one-off dyno is one short call, made at most once per step (the activity adopts what an
 * earlier attempt started). Watching heartbeats while it polls: a worker that dies mid-watch is noticed within the
 * heartbeat timeout and another attempt carries on watching.
 */
export function watchers(timing: { heartbeatTimeoutSeconds?: number } = {}) {
  return proxyActivities<RunbookActivities>({
    startToCloseTimeout: '2 minutes',
    heartbeatTimeout: `${timing.heartbeatTimeoutSeconds ?? 20} seconds`,
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
  });
}
