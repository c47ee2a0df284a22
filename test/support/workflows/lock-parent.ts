// Test-only workflows: every runbook, plus a parent that holds an app's lock and runs a step runbook as its child.
import { condition, defineSignal, setHandler, startChild } from '@temporalio/workflow';
import type { ResolvedTarget } from '../../../common/environments';
import { acquireAppLock, releaseAppLock } from '../../../workflows/app-lock';
import type { scaleDynos } from '../../../workflows/scale-dynos';

export * from '../../../workflows';

export const goSignal = defineSignal('go');

/** Takes the app's lock, waits for `go`, then scales web to 2 through the scale-dynos runbook as its child. */
export async function lockHoldingParent(app: string, lockId: string): Promise<unknown> {
  let go = false;
  setHandler(goSignal, () => void (go = true));
  const target = { app, lockId } as ResolvedTarget;
  const lock = await acquireAppLock(target, { runbook: 'lock-holding-parent', operator: 'tester' }, false, {
    detail: () => undefined,
  });
  await condition(() => go);
  const child = await startChild<typeof scaleDynos>('scaleDynos', {
    args: [{ app, processes: { web: 2 }, operator: 'tester' }],
  });
  const result = await child.result();
  if (lock) await releaseAppLock(lock);
  return result;
}
