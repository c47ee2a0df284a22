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
    // A restarted worker should pick up in-flight runs within seconds, not wait out the default 10 s.
    stickyQueueScheduleToStartTimeout: '3 seconds',
  });
}
