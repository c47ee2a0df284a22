// The app lock and composition: a step runbook started as a child of the lock's holder runs under its parent's
// lock; the same runbook launched on its own meanwhile is refused. (The main lock tests are in
// test/runbooks/disaster-recovery.test.ts: concurrent launches, --wait-for-lock, read-only runbooks.)
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { ScaleDynosResult } from '../common/formation';
import { waitForRunbook } from '../client/launch';
import { progressQuery } from '../common/messages';
import { STAGING, RunbookHarness } from './support/harness';
import { uniqueTaskQueue } from './support/temporal';
import { goSignal } from './support/workflows/lock-parent';

let harness: RunbookHarness;
let worker: Worker;
let running: Promise<void>;
const taskQueue = uniqueTaskQueue('app-lock');

beforeAll(async () => {
  harness = await RunbookHarness.start({ environments: { staging: { app: STAGING } } });
  // A worker with the test parent workflow (bundled here) on its own queue; the same activities.
  worker = await Worker.create({
    connection: harness.server.nativeConnection,
    taskQueue,
    workflowsPath: path.join(__dirname, 'support', 'workflows', 'lock-parent.ts'),
    activities: createActivities(harness.deps(harness.sim.token)),
  });
  running = worker.run();
}, 120_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await harness?.stop();
});

beforeEach(() => harness.sim.reset());

test("a child of the lock's holder runs under its parent's lock; another launch meanwhile is refused", async () => {
  const lockId = `${harness.config.lockPrefix}.${STAGING}`;
  const parent = await harness.client.workflow.start('lockHoldingParent', {
    args: [STAGING, lockId],
    taskQueue,
    workflowId: `lock-parent-${Date.now()}`,
  });
  // The parent holds the lock (its child workflow `app-lock.<app>` runs).
  for (let i = 0; i < 100; i++) {
    const held = await harness.client.workflow
      .getHandle(lockId)
      .describe()
      .catch(() => null);
    if (held?.status.name === 'RUNNING') break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const refused = await harness.run('scale-dynos', { environment: 'staging', processes: { web: 3 } });
  expect(refused.status === 'failed' && refused.error).toMatchObject({
    type: 'AppLocked',
    message: expect.stringMatching(/^lock-holding-parent \(lock-parent-\d+\), started by tester/),
  });

  await parent.signal(goSignal);
  const result = (await parent.result()) as ScaleDynosResult;
  expect(result.summary).toMatch(/^Scaled csis-reconasia-bravo: web=2/);
  const formation = (await harness.sim.effects()).filter((effect) => effect.kind === 'formation');
  expect(formation).toHaveLength(1);

  // The child said whose lock it ran under.
  const childId = (await parent.fetchHistory()).events!.find(
    (e) => e.childWorkflowExecutionStartedEventAttributes?.workflowType?.name === 'scaleDynos',
  )!.childWorkflowExecutionStartedEventAttributes!.workflowExecution!.workflowId!;
  const lockStep = (await harness.client.workflow.getHandle(childId).query(progressQuery)).steps.find(
    (s) => s.name === 'lock',
  );
  expect(lockStep).toMatchObject({
    status: 'succeeded',
    detail: expect.stringMatching(/^csis-reconasia-bravo is locked by this run's parent, lock-holding-parent/),
  });

  // Released with the parent: a launch now goes through.
  expect(
    (await waitForRunbook(await harness.start('scale-dynos', { environment: 'staging', processes: { web: 1 } })))
      .status,
  ).toBe('succeeded');
});
