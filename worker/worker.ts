import { existsSync } from 'node:fs';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities, type ActivityDependencies } from '../activities';
import { DEFAULT_TASK_QUEUE } from '../common/task-queue';
import { DEFAULT_WORKFLOW_BUNDLE } from '../lib/paths';

export interface WorkerSettings {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  /** The prebuilt workflow bundle (npm run build); the production way to run workflow code. */
  workflowBundlePath?: string;
  activities: ActivityDependencies;
}

export class MissingWorkflowBundleError extends Error {
  constructor(file: string) {
    super(`No workflow bundle at ${file}. Build it with \`npm run build\`, or point RUNBOOK_WORKFLOW_BUNDLE at one.`);
  }
}

/** A worker that runs every runbook workflow and activity on one task queue. */
export async function createRunbookWorker(settings: WorkerSettings): Promise<Worker> {
  const codePath = settings.workflowBundlePath ?? DEFAULT_WORKFLOW_BUNDLE;
  if (!existsSync(codePath)) throw new MissingWorkflowBundleError(codePath);
  return Worker.create({
    connection: settings.connection,
    namespace: settings.namespace ?? 'default',
    taskQueue: settings.taskQueue ?? DEFAULT_TASK_QUEUE,
    workflowBundle: { codePath },
    activities: createActivities(settings.activities),
    // A run's next workflow task goes first to the worker that ran its last one (its "sticky" queue, history cached).
    // If that worker is dead, the task waits this long before any worker may take it: a restarted worker picks up a
    // run within about a second (`npm run bench` item 7), not after the default 10 s. The cost of a live but busy
    // worker missing it is a replay of the history on another poll, nothing more.
    stickyQueueScheduleToStartTimeout: '1 second',
    maxCachedWorkflows: cachedWorkflowsFromEnv(),
    // Heartbeats reach the server at least every second (the SDK's default would wait 80 % of an activity's heartbeat
    // timeout): the watches' 3 s timeout then has two seconds of margin on a busy machine.
    maxHeartbeatThrottleInterval: '1 second',
  });
}

/**
 * How many runs a worker keeps in memory between their tasks (RUNBOOK_MAX_CACHED_WORKFLOWS). The SDK's default grows
 * with the machine's memory (600 per GiB of heap) at about 1 MB each; ours is bounded so that a worker stays within a
 * few hundred MB however many runs are in flight (`npm run bench` item 5: 200 apps at once, each with its lock). A run
 * not in the cache is replayed from its history at its next task: CPU, not correctness.
 */
export const DEFAULT_MAX_CACHED_WORKFLOWS = 100;

function cachedWorkflowsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.RUNBOOK_MAX_CACHED_WORKFLOWS?.trim();
  if (!raw) return DEFAULT_MAX_CACHED_WORKFLOWS;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0)
    throw new Error(`RUNBOOK_MAX_CACHED_WORKFLOWS must be a whole number (0 turns the cache off), not "${raw}"`);
  return value;
}
