import {
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowCancellationType,
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
import { describeHolder, lockedMessage, type LockEnd, type LockHolder, type LockRelease } from '../common/app-lock';
import { describeDuration } from '../common/durations';
import type { ResolvedTarget } from '../common/environments';
import { causeChain, FailureTypes } from '../common/errors';
import { lockHolderQuery, releaseLockSignal } from '../common/messages';
import type { StepHandle } from '../common/progress';
import { describeSent } from '../common/redact';
import { Environment, HerokuApp, RunbookName } from '../common/search-attributes';
import { reads, records } from './activities';

/** The RunbookName search attribute of app-lock runs: `RunbookName != "app-lock"` hides them in the UI's list. */
export const LOCK_RUNBOOK_NAME = 'app-lock';

/**
 * An app's lock. Temporal runs at most one execution per workflow ID, so while one `app-lock.<app>` runs, starting
 * another fails on the server: that is the lock, enforced by Temporal whoever starts the runbook (CLI, UI, API).
 *
 * It holds only as the child of the runbook it names (a lock started any other way ends at once, holding nothing),
 * and ends when that runbook releases it — a release signal naming another run is ignored and recorded — or, by the
 * parent-close policy, when the runbook ends in any other way. Anyone with write access to the namespace can still
 * terminate it, or forge its holder's release: the holder watches its lock and stops changing the app if it ends
 * without being released (AppLockClaim below).
 */
export async function appLock(holder: LockHolder): Promise<LockEnd> {
  const info = workflowInfo();
  const parent = info.parent;
  if (!parent || parent.workflowId !== holder?.workflowId || parent.runId !== holder?.runId) {
    return {
      held: false,
      why: parent
        ? `started by ${parent.workflowId}, not by the run it names as its holder`
        : 'not started by a runbook: a lock is taken only by a runbook, as its child',
    };
  }
  let released: LockRelease | null = null;
  const stray: { at: string; sent: string }[] = [];
  setHandler(lockHolderQuery, () => holder, { description: 'The runbook run that holds this app lock' });
  setHandler(
    releaseLockSignal,
    (release) => {
      if (release?.workflowId === holder.workflowId && release?.runId === holder.runId) released = release;
      else stray.push({ at: new Date().toISOString(), sent: describeSent(release ?? null, 300) });
    },
    { description: 'Sent by the holder when it is done: { workflowId, runId } of the holder' },
  );
  let seq = 0;
  for (;;) {
    await condition(() => released !== null || stray.length > 0);
    for (const { at, sent } of stray.splice(0)) {
      await records.recordAudit({
        workflowId: info.workflowId,
        runId: info.runId,
        seq: seq++,
        runbook: 'app-lock',
        event: 'notice',
        operator: 'unknown',
        app: holder.app,
        environment: null,
        summary: `ignored a release signal at ${at} that does not name the lock's holder (${describeHolder(holder)}); the lock still holds`,
        details: { sent, holder },
      });
    }
    if (released) return { held: true, releasedAt: new Date().toISOString() };
  }
}

export interface LockBreak {
  /** Workflow time at which the holder noticed. */
  at: string;
  /** How the lock ended: "terminated in Temporal", "released by a signal this run did not send", … */
  how: string;
  /** Whether this run took the lock again to stop under it (null: not known yet). */
  retaken: boolean | null;
}

export interface LockWait {
  /** Wait for the lock instead of refusing at once… */
  wait: boolean;
  /** …for at most this many minutes. */
  minutes: number;
}

type LockHandle = ChildWorkflowHandle<typeof appLock>;

/**
 * A run's hold on its app's lock. The holder watches the lock: if it ends other than by this run's own release,
 * `broken` says when and how, and `onBreak` is told at once. The holder then makes no further change
 * (RunbookRun.change refuses); first the claim takes the lock again, once, so that nobody starts on the app while
 * the holder stops, and then tells `onBreak`.
 */
export class AppLockClaim {
  broken: LockBreak | null = null;
  private releasing = false;

  private constructor(
    private readonly target: ResolvedTarget,
    private readonly me: LockHolder,
    private handle: LockHandle,
    private readonly onBreak: (broken: LockBreak) => void,
  ) {
    this.watch(handle);
  }

  /**
   * Takes the app's lock for this run; refuses at once (naming the holder) or, when asked, waits for it — polling
   * with backoff (the holder is another workflow, whose end this one cannot await), for at most `wait.minutes`.
   */
  static async acquire(
    target: ResolvedTarget,
    holder: Pick<LockHolder, 'runbook' | 'operator'>,
    wait: LockWait,
    step: StepHandle,
    onBreak: (broken: LockBreak) => void,
  ): Promise<AppLockClaim> {
    // A run whose workflow ID is the lock's (it would wait on itself) never gets here: resolveTargetStep refuses
    // every workflow ID that starts with the lock prefix.
    const info = workflowInfo();
    const me: LockHolder = {
      ...holder,
      app: target.app,
      workflowId: info.workflowId,
      runId: info.runId,
      startedAt: info.runStartTime.toISOString(),
    };
    const deadline = Date.now() + wait.minutes * 60_000;
    let pause = 2;
    for (;;) {
      const handle = await startLock(target, me);
      if (handle) {
        step.detail(`${target.app} is locked for this run (${target.lockId})`);
        return new AppLockClaim(target, me, handle, onBreak);
      }
      const current = await reads.describeLockHolder({ lockId: target.lockId });
      if (current === null) continue; // released in between: try again at once
      if (!wait.wait) {
        throw ApplicationFailure.create({
          type: FailureTypes.AppLocked,
          nonRetryable: true,
          message: lockedMessage(target.app, current),
          details: [current],
        });
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw ApplicationFailure.create({
          type: FailureTypes.AppLocked,
          nonRetryable: true,
          message: `Waited ${describeDuration(wait.minutes * 60)} for ${target.app}'s lock, which ${describeHolder(current)} still holds; this run did not start and changed nothing. Launch it again later, or with a longer --lock-wait-minutes.`,
          details: [current],
        });
      }
      step.detail(`waiting for ${describeHolder(current)} (at most until ${new Date(deadline).toISOString()})`);
      await sleep(Math.min(pause * 1000, left));
      pause = Math.min(pause * 2, 30);
    }
  }

  /** Lets the next runbook in: signals the lock to end and waits (a minute at most) until it has. */
  async release(): Promise<void> {
    this.releasing = true;
    const { handle, me } = this;
    await CancellationScope.nonCancellable(async () => {
      try {
        await handle.signal(releaseLockSignal, { workflowId: me.workflowId, runId: me.runId });
        await Promise.race([handle.result(), sleep('1 minute')]);
      } catch {
        // Already ended (terminated by hand, say): nothing left to release.
      }
    });
  }

  private watch(handle: LockHandle): void {
    void handle.result().then(
      (end) =>
        this.ended(
          end.held
            ? 'released by a release signal that names this run, which this run did not send'
            : `ended without holding (${end.why})`,
        ),
      (err: unknown) => this.ended(describeLockFailure(err)),
    );
  }

  private ended(how: string): void {
    if (this.releasing || this.broken) return;
    this.broken = { at: new Date().toISOString(), how, retaken: null };
    void this.retake(this.broken);
  }

  /** After a break: hold the lock again while this run stops, unless another run got it first. */
  private async retake(broken: LockBreak): Promise<void> {
    const handle = await startLock(this.target, this.me).catch(() => null);
    if (handle) this.handle = handle; // not watched: this run is stopping anyway, and releases it when it ends
    broken.retaken = handle !== null;
    this.onBreak(broken);
  }
}

/** Starts the lock as this run's child: its handle, or null when another execution holds the lock. */
async function startLock(target: ResolvedTarget, me: LockHolder): Promise<LockHandle | null> {
  try {
    // Outside the run's cancellation scope: cancelling the holder must neither cancel its lock nor make the watch
    // on the lock's end fire (a cancelled holder still compensates under its lock).
    return await CancellationScope.nonCancellable(() =>
      startChild(appLock, {
        workflowId: target.lockId,
        args: [me],
        // The lock outlives a cancellation of its holder, which still compensates under it; the holder's end (any
        // end) ends the lock.
        cancellationType: ChildWorkflowCancellationType.ABANDON,
        parentClosePolicy: ParentClosePolicy.TERMINATE,
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        memo: { holder: me },
        // Labelled in the UI's list (RunbookName "app-lock", on its app), so that a filter hides the locks:
        // `RunbookName != "app-lock"` or `WorkflowType != "appLock"` (README, "From the Temporal UI").
        typedSearchAttributes: [
          { key: RunbookName, value: LOCK_RUNBOOK_NAME },
          { key: HerokuApp, value: target.app },
          { key: Environment, value: target.environment ?? 'none' },
        ],
        staticSummary: `app lock of ${target.app}, held by ${describeHolder(me)}`,
      }),
    );
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return null;
    throw err;
  }
}

function describeLockFailure(err: unknown): string {
  const chain = causeChain(err) as { name?: string; message?: string }[];
  const names = chain.map((failure) => failure.name);
  if (names.includes('TerminatedFailure')) return 'terminated in Temporal';
  if (names.includes('TimeoutFailure')) return 'timed out in Temporal';
  if (names.includes('CancelledFailure')) return 'cancelled in Temporal';
  return `ended in Temporal (${chain.at(-1)?.message ?? 'unknown failure'})`;
}
