import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { LockHolder } from '../common/app-lock';

/** Reads who holds an app's lock, through the worker's own Temporal client. */
export function appLockActivities() {
  return {
    /** The holder of a running lock, or null when it is no longer held. */
    async describeLockHolder({ lockId }: { lockId: string }): Promise<LockHolder | null> {
      try {
        const description = await Context.current().client.workflow.getHandle(lockId).describe();
        if (description.status.name !== 'RUNNING') return null;
        const holder = description.memo?.holder as LockHolder | undefined;
        return (
          holder ?? {
            app: lockId,
            runbook: 'a runbook',
            operator: 'unknown',
            workflowId: lockId,
            runId: description.runId,
            startedAt: description.startTime.toISOString(),
          }
        );
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return null;
        throw err;
      }
    },
  };
}
