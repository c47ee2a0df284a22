import { ScheduleAlreadyRunning, type Client, type ScheduleDescription } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import type pino from 'pino';
import { DEFAULT_OUTSIDE_CHANGES_LOOKBACK_MS } from '../activities/outside-changes';
import { RECONCILE_OUTSIDE_CHANGES_WORKFLOW } from '../common/outside-changes';
import { DEFAULT_TASK_QUEUE } from '../common/task-queue';

/** How often the Schedule looks for outside changes unless RUNBOOK_OUTSIDE_CHANGES_EVERY says otherwise. */
export const DEFAULT_OUTSIDE_CHANGES_EVERY_MS = 5 * 60_000;

/** A pass that has not ended after this long (no worker?) is timed out, so that the next one can start. */
const PASS_TIMEOUT: Duration = '30 minutes';

/**
 * The Schedule's ID: `runbook-outside-changes` for the default task queue. Workers on another task queue (another
 * deployment sharing the namespace, tests) keep their own, `runbook-outside-changes.<task queue>`, so that they do not
 * take each other's over.
 */
export function outsideChangesScheduleId(taskQueue: string): string {
  return taskQueue === DEFAULT_TASK_QUEUE ? 'runbook-outside-changes' : `runbook-outside-changes.${taskQueue}`;
}

function duration(name: string, value: string): number {
  let ms: number;
  try {
    ms = msToNumber(value as Parameters<typeof msToNumber>[0]);
  } catch {
    ms = NaN;
  }
  if (!Number.isFinite(ms) || ms < 1000) {
    throw new Error(`${name} must be a duration of at least a second ("5m", "90s", "24h"), got "${value}"`);
  }
  return ms;
}

/** RUNBOOK_OUTSIDE_CHANGES_EVERY: a duration ("5m", default), or `off` for no Schedule (the command still works). */
export function outsideChangesEveryFromEnv(env: NodeJS.ProcessEnv = process.env): number | null {
  const value = env.RUNBOOK_OUTSIDE_CHANGES_EVERY?.trim();
  if (!value) return DEFAULT_OUTSIDE_CHANGES_EVERY_MS;
  if (value === 'off') return null;
  return duration('RUNBOOK_OUTSIDE_CHANGES_EVERY', value);
}

/** RUNBOOK_OUTSIDE_CHANGES_LOOKBACK: how far back each pass looks at releases and transfers ("24h", default). */
export function outsideChangesLookbackFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const value = env.RUNBOOK_OUTSIDE_CHANGES_LOOKBACK?.trim();
  return value ? duration('RUNBOOK_OUTSIDE_CHANGES_LOOKBACK', value) : DEFAULT_OUTSIDE_CHANGES_LOOKBACK_MS;
}

/**
 * Creates the Schedule that starts `reconcileOutsideChanges` on this worker's task queue every `everyMs`, or brings an
 * existing one up to date (its interval, task queue, overlap policy), leaving a pause someone set in place. Every
 * worker does this at start: a Schedule that exists already, made by another worker starting at the same time, is
 * updated rather than refused, and two identical updates leave the same Schedule. Overlap SKIP: a pass still
 * running when the next is due is not doubled.
 */
export async function ensureOutsideChangesSchedule(
  client: Client,
  { taskQueue, everyMs, logger }: { taskQueue: string; everyMs: number; logger?: pino.Logger },
): Promise<{ scheduleId: string; created: boolean }> {
  const scheduleId = outsideChangesScheduleId(taskQueue);
  const options = {
    spec: { intervals: [{ every: everyMs }] },
    action: {
      type: 'startWorkflow' as const,
      workflowType: RECONCILE_OUTSIDE_CHANGES_WORKFLOW,
      taskQueue,
      args: [{}],
      workflowId: scheduleId,
      workflowExecutionTimeout: PASS_TIMEOUT,
    },
    policies: { overlap: 'SKIP' as const, catchupWindow: '1 minute' as Duration },
  };
  try {
    await client.schedule.create({
      scheduleId,
      ...options,
      state: { note: 'made by `runbook worker`: looks for changes made outside the engine' },
    });
    logger?.info({ scheduleId, everyMs }, 'created the outside-changes schedule');
    return { scheduleId, created: true };
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await client.schedule.getHandle(scheduleId).update((previous: ScheduleDescription) => ({
    ...options,
    state: { paused: previous.state.paused, note: previous.state.note },
  }));
  logger?.info({ scheduleId, everyMs }, 'updated the outside-changes schedule');
  return { scheduleId, created: false };
}
