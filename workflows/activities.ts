import {
  ActivityFailure,
  ApplicationFailure,
  patched,
  sleep,
  proxyActivities,
  proxyLocalActivities,
  type ActivityInterfaceFor,
  type LocalActivityOptions,
  type RetryPolicy,
} from '@temporalio/workflow';
import type { ChangeActivities, ReadActivities, RunbookActivities } from '../activities';
import { describeActivityCall } from '../common/activity-summaries';
import { FailureTypes } from '../common/errors';

/** Per-run timing for long steps (tests shorten it): how long a silent worker's step waits before another takes it. */
export interface WatchTiming {
  heartbeatTimeoutSeconds?: number;
}

/**
 * Heroku is retried with backoff for a few minutes when it is unavailable (5xx, network, 429) before the run fails
 * and says so; refusals (4xx) are non-retryable failures and fail at once.
 */
const RETRY: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '30 seconds',
  maximumAttempts: 10,
};

/**
 * Heroku's request budget — the one the workers share, or Heroku's own 429s — outlasting an activity's attempts is
 * no failure of the run: those attempts sent nothing Heroku applied. The run waits as long as the budget said and
 * asks again, as often as it takes: under pressure runs slow down, they do not fail (before this, 188 of 303 runs of
 * a fleet on a limit it overran three times failed "gave up after 5 attempts"). A cancellation ends the wait. Runs
 * that failed this way before replay as they ran.
 */
export async function throughBudget<T>(call: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await call();
    } catch (err) {
      const cause = err instanceof ActivityFailure ? err.cause : undefined;
      const rateLimited = cause instanceof ApplicationFailure && cause.type === FailureTypes.HerokuRateLimited;
      if (!rateLimited || !patched('wait-out-heroku-budget')) throw err;
      await sleep(cause.nextRetryDelay ?? '10 seconds');
    }
  }
}

/**
 * Every call of `proxy` carries a summary (the Temporal UI's timeline shows it instead of the bare activity type):
 * "watch rebuild_index in run.6555", from common/activity-summaries.ts. Changes carry their intent instead
 * (RunbookRun.change calls `executeWithOptions` itself).
 */
export function summarized<T extends object>(proxy: ActivityInterfaceFor<T>): ActivityInterfaceFor<T> {
  return new Proxy(proxy, {
    get(target, name) {
      const fn = Reflect.get(target, name) as {
        executeWithOptions(options: { summary: string }, args: unknown[]): Promise<unknown>;
      };
      const call = (...args: unknown[]) =>
        throughBudget(() => fn.executeWithOptions({ summary: describeActivityCall(String(name), args[0]) }, args));
      return Object.assign(call, { executeWithOptions: fn.executeWithOptions.bind(fn) });
    },
  });
}

/** Reads: of Heroku, of the runbook config, of Temporal (a lock's holder, an earlier run's checkpoint). Short. */
export const reads = summarized(proxyActivities<ReadActivities>({ startToCloseTimeout: '30 seconds', retry: RETRY }));

/**
 * Watching a transfer or a one-off dyno heartbeats while it waits (a quarter of this timeout, sent at least every
 * second: worker/worker.ts): a worker that dies mid-watch is noticed within the heartbeat timeout and another attempt
 * carries on watching, 200 ms later. A watch only reads, so a short timeout costs nothing but a few reads when a
 * stalled worker's attempt is taken over needlessly — and a run resumes about 3 s after its worker died, not 20
 * (`npm run bench` item 7). The steps that start something keep 20 s (`starters`): their retry must find what the
 * lost attempt started, not race it.
 */
export const WATCH_HEARTBEAT_TIMEOUT_SECONDS = 3;

export function watchers(timing: WatchTiming = {}) {
  return summarized(
    proxyActivities<Pick<ReadActivities, 'watchTransfer' | 'watchOneOffDyno'>>({
      startToCloseTimeout: '2 minutes',
      heartbeatTimeout: `${timing.heartbeatTimeoutSeconds ?? WATCH_HEARTBEAT_TIMEOUT_SECONDS} seconds`,
      retry: { ...RETRY, initialInterval: '200 milliseconds' },
    }),
  );
}

const AUDIT_WRITE: LocalActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: { ...RETRY, nonRetryableErrorTypes: ['AuditUnavailable'] },
};

const auditActivity = summarized(proxyActivities<Pick<RunbookActivities, 'recordAudit'>>(AUDIT_WRITE));
const auditLocalActivity = proxyLocalActivities<Pick<RunbookActivities, 'recordAudit'>>(AUDIT_WRITE);

/**
 * The audit trail. The activity keeps trying for a while itself and then fails non-retryably (AuditUnavailable);
 * these retries are for a worker that died mid-write. A write is idempotent per run and position.
 *
 * A local activity: the write runs on the worker that runs the workflow task, without a round trip through the
 * server's task queue — a step's intent and outcome records (two writes around every change) cost a database write
 * each, not two activity dispatches (the per-step overhead that `npm run bench` item 4 measures). A worker lost
 * mid-write loses its workflow task; the next worker replays and writes again, which the write's idempotency makes
 * harmless. Runs begun before this recorded their writes as ordinary activities and replay that way.
 */
export const records = {
  recordAudit: (input: Parameters<RunbookActivities['recordAudit']>[0]) =>
    patched('audit-as-local-activity')
      ? // The UI's timeline shows a local activity's summary on its marker, as it shows an activity's.
        auditLocalActivity.recordAudit.executeWithOptions(
          { ...AUDIT_WRITE, summary: describeActivityCall('recordAudit', input) },
          [input],
        )
      : auditActivity.recordAudit(input),
};

/**
 * Changes to an app. Only workflows/runbook.ts uses these (eslint enforces it): every change goes through
 * `RunbookRun.change`, which records it before and after.
 */
export const changes = proxyActivities<ChangeActivities>({ startToCloseTimeout: '30 seconds', retry: RETRY });

/** The changes that start something long-running on Heroku: they heartbeat what they started, for a retry to adopt. */
export type StartActivityName = 'startBackupCapture' | 'startRestore' | 'startOneOffDyno';

export function starters(timing: WatchTiming = {}) {
  return proxyActivities<Pick<ChangeActivities, StartActivityName>>({
    startToCloseTimeout: '2 minutes',
    heartbeatTimeout: `${timing.heartbeatTimeoutSeconds ?? 20} seconds`,
    retry: RETRY,
  });
}

/**
 * Identity: verifying a proof (read the account with its token, revoke it) and reading a person's standing. A
 * refusal fails at once; Heroku unavailable is retried for about a minute, not ten, because a person waits on it.
 * Two or three requests: an attempt lost with its worker is tried again after 10 s, well inside the proof's
 * five-minute life (after 30 s, two lost attempts in a row could outlive a proof made by a slow CLI).
 */
export const identity = summarized(
  proxyActivities<Pick<ReadActivities, 'verifyProof' | 'readStanding'>>({
    startToCloseTimeout: '10 seconds',
    retry: { ...RETRY, maximumAttempts: 5 },
  }),
);
