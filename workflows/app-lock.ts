import {
  ApplicationFailure,
  ChildWorkflowCancellationType,
  CancellationScope,
  condition,
  ParentClosePolicy,
  setHandler,
  sleep,
  startChild,
  WorkflowIdReusePolicy,
  workflowInfo,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { describeHolder, lockedMessage, type LockHolder } from '../common/app-lock';
import type { ResolvedTarget } from '../common/environments';
import { FailureTypes } from '../common/errors';
import { heroku } from './activities';
import { lockHolderQuery, releaseLockSignal } from '../common/messages';
import type { StepHandle } from '../common/progress';

/**
 * An app's lock. Temporal runs at most one execution per workflow ID, so while one `app-lock.<app>` runs, starting
 * another fails on the server: that is the lock, enforced by Temporal whoever starts the runbook (CLI, UI, API).
 * It is a child of the runbook that holds it: released when that runbook says so, and — by the parent-close
 * policy — by the server when the runbook ends in any other way (terminated, timed out), so a lock cannot leak.
 */
export async function appLock(holder: LockHolder): Promise<void> {
  let released = false;
  setHandler(lockHolderQuery, () => holder);
  setHandler(releaseLockSignal, () => void (released = true));
  await condition(() => released);
}

export type AppLockHandle = ChildWorkflowHandle<typeof appLock>;

/**
 * Takes the app's lock for this run; refuses at once (naming the holder) or, when asked, waits for it. Waiting
 * polls with backoff: the holder is another workflow, whose end this one cannot await directly. A runbook started
 * as a child of the lock's holder runs under its parent's lock (null: nothing of its own to release); any other
 * child is refused like any other launch.
 */
export async function acquireAppLock(
  target: ResolvedTarget,
  holder: Omit<LockHolder, 'app' | 'workflowId' | 'runId' | 'startedAt'>,
  wait: boolean,
  step: StepHandle,
): Promise<AppLockHandle | null> {
  const info = workflowInfo();
  const me: LockHolder = {
    ...holder,
    app: target.app,
    workflowId: info.workflowId,
    runId: info.runId,
    startedAt: info.runStartTime.toISOString(),
  };
  let pause = 2;
  for (;;) {
    try {
      const handle = await startChild(appLock, {
        workflowId: target.lockId,
        args: [me],
        // The lock outlives a cancellation of its holder, which still compensates under it; the holder's end
        // (any end) ends the lock.
        cancellationType: ChildWorkflowCancellationType.ABANDON,
        parentClosePolicy: ParentClosePolicy.TERMINATE,
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        memo: { holder: me },
      });
      step.detail(`${target.app} is locked for this run (${target.lockId})`);
      return handle;
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      const current = await heroku.describeLockHolder({ lockId: target.lockId });
      if (current === null) continue; // released in between: try again at once
      if (info.parent && current.workflowId === info.parent.workflowId && current.runId === info.parent.runId) {
        step.detail(`${target.app} is locked by this run's parent, ${current.runbook} (${current.workflowId})`);
        return null;
      }
      if (!wait) {
        throw ApplicationFailure.create({
          type: FailureTypes.AppLocked,
          nonRetryable: true,
          message: lockedMessage(target.app, current),
          details: [current],
        });
      }
      step.detail(`waiting for ${describeHolder(current)}`);
      await sleep(`${pause} seconds`);
      pause = Math.min(pause * 2, 30);
    }
  }
}

/** Lets the next runbook in: signals the lock to end and waits until it has (so a launch right after succeeds). */
export async function releaseAppLock(handle: AppLockHandle): Promise<void> {
  await CancellationScope.nonCancellable(async () => {
    try {
      await handle.signal(releaseLockSignal);
      await handle.result();
    } catch {
      // Already ended (terminated by hand): nothing left to release.
    }
  });
}
