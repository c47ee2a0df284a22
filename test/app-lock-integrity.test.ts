// The app lock against a hostile namespace user: anyone who can signal, start and terminate workflows. A release
// that does not name the holder is ignored; a lock started by hand holds nothing; a run cannot wait on itself, nor
// forever; and when the lock is broken anyway (terminated, or released by a forged signal), its holder notices,
// takes it back, makes no further change, and says so. Effects are read from the simulator.
import { waitForRunbook } from '../client/launch';
import { approvalQuery, progressQuery } from '../common/messages';
import type { RunbookProgress } from '../common/progress';
import { PRODUCTION, STAGING, useRunbookHarness } from './support/harness';
import { until } from './support/until';

const setup = useRunbookHarness({ environments: { production: { app: PRODUCTION }, staging: { app: STAGING } } });
const { started } = setup;

const lockId = (app: string) => `${setup.harness.config.lockPrefix}.${app}`;

const lockStatus = async (app: string) =>
  (
    await setup.harness.client.workflow
      .getHandle(lockId(app))
      .describe()
      .catch(() => null)
  )?.status.name ?? 'none';

const changingEffects = async () =>
  (await setup.harness.sim.effects()).filter((effect) => effect.kind !== 'log-session');

test('a release signal that does not name the holder is ignored and recorded; the app stays locked', async () => {
  const { handle } = await setup.harness.recoveryAwaitingApproval(started);
  const lock = setup.harness.client.workflow.getHandle(lockId(PRODUCTION));
  await lock.signal('release');
  await lock.signal('release', {});
  await lock.signal('release', { workflowId: 'someone-else', runId: 'not-the-holder' });

  await until(
    () => setup.harness.audit.query({ app: PRODUCTION, runbook: 'app-lock' }),
    (entries) => entries.length === 3,
    'three notices of ignored releases',
  );
  const notices = await setup.harness.audit.query({ app: PRODUCTION, runbook: 'app-lock' });
  for (const notice of notices) {
    expect(notice).toMatchObject({ event: 'notice', workflowId: lockId(PRODUCTION) });
    expect(notice.summary).toMatch(/^ignored a release signal at .* that does not name the lock's holder/);
    expect(notice.summary).toContain(handle.workflowId);
  }
  expect(await lockStatus(PRODUCTION)).toBe('RUNNING');

  // A second changing runbook is still refused, and the recovery still waits, holding the lock.
  const second = await setup.harness.run('maintenance-off', { environment: 'production', operator: 'mallory' });
  expect(second.status === 'failed' && second.error.type).toBe('AppLocked');
  expect((await handle.query(approvalQuery)).status).toBe('waiting');
  expect(await changingEffects()).toEqual([]);
});

test('a forged release that names the holder ends the lock: the holder stops, changes nothing, and says so', async () => {
  const { handle } = await setup.harness.recoveryAwaitingApproval(started);
  const lock = setup.harness.client.workflow.getHandle(lockId(PRODUCTION));
  const { runId } = await handle.describe();
  await lock.signal('release', { workflowId: handle.workflowId, runId });

  const outcome = await waitForRunbook(handle as never);
  expect(outcome.status).toBe('failed');
  if (outcome.status !== 'failed') return;
  expect(outcome.error.type).toBe('LockBroken');
  expect(outcome.error.message).toMatch(
    /^The app lock of csis-reconasia-alfa was broken from outside at \S+ \(released by a release signal that names this run, which this run did not send\): another runbook may be changing csis-reconasia-alfa, so this run stopped/,
  );
  expect(await changingEffects()).toEqual([]);
  const trail = await setup.harness.audit.query({ workflowId: handle.workflowId });
  expect(trail.some((entry) => entry.event === 'notice' && /was broken from outside/.test(entry.summary))).toBe(true);
  expect(trail[0]).toMatchObject({ event: 'failed' });
  const described = await handle.describe();
  expect(described.typedSearchAttributes.get({ name: 'RunbookOutcome', type: 'KEYWORD' } as never)).toBe('lock-broken');
});

test('a terminated lock: the holder takes it back at once, a second runbook is refused, and the holder stops before its next change', async () => {
  // The index rebuild runs 20 s (at 60×): the lock is broken while it runs.
  await setup.harness.sim.control('POST', 'dyno-outcomes', { pattern: 'rebuild_index', durationSeconds: 1200 });
  const { handle, approval } = await setup.harness.recoveryAwaitingApproval(started);
  await setup.harness.approve(handle, 'bob', { planHash: approval.planHash! });
  await until(
    () => handle.query(progressQuery),
    (p: RunbookProgress) =>
      p.currentStep === 'index' && /^run\.\d+: /.test(p.steps.find((s) => s.name === 'index')?.detail ?? ''),
    'the index rebuild to run in its dyno',
    60_000,
  );
  const before = (await changingEffects()).length;
  await setup.harness.client.workflow.getHandle(lockId(PRODUCTION)).terminate('mallory breaks the lock');

  const broken = await until(
    () => handle.query(progressQuery),
    (p: RunbookProgress) => /BROKEN at/.test(p.steps.find((s) => s.name === 'lock')?.detail ?? ''),
    'the holder to notice its lock was broken',
  );
  expect(broken.steps.find((s) => s.name === 'lock')).toMatchObject({
    status: 'failed',
    detail: expect.stringMatching(/terminated in Temporal; this run makes no further change \(it took the lock again/),
  });
  expect(broken.currentStep).toBe('index');
  expect(await lockStatus(PRODUCTION)).toBe('RUNNING');
  const second = await setup.harness.run('maintenance-off', { environment: 'production', operator: 'mallory' });
  expect(second.status === 'failed' && second.error.type).toBe('AppLocked');

  // The rebuild finishes; the next change (scaling back) is not made, nor any compensation under a broken lock.
  const outcome = await waitForRunbook(handle as never);
  expect(outcome.status).toBe('failed');
  if (outcome.status !== 'failed') return;
  expect(outcome.error.message).toMatch(/broken from outside at \S+ \(terminated in Temporal\)/);
  expect(outcome.error.message).toMatch(/stopped before it would scale csis-reconasia-alfa back/);
  expect(outcome.error.message).toMatch(/maintenance ON/);
  expect(outcome.error.message).toMatch(/processes left quiet because the app lock was broken/);
  const after = (await changingEffects()).slice(before);
  expect(after.map((effect) => effect.kind)).toEqual(['dyno-exit']);
  const config = await setup.harness.sim.api().get(`/apps/${PRODUCTION}/config-vars`);
  expect(config.MAINTENANCE_MODE).toBe('True');
  const trail = await setup.harness.audit.query({ workflowId: handle.workflowId, event: 'intent' });
  expect(trail.some((entry) => /scale .* back/.test(entry.summary))).toBe(false);
}, 120_000);

test('a lock started by hand ends at once, holding nothing', async () => {
  const squat = await setup.harness.client.workflow.start('appLock', {
    args: [{}],
    taskQueue: setup.harness.taskQueue,
    workflowId: lockId(STAGING),
  });
  expect(await squat.result()).toMatchObject({ held: false, why: expect.stringMatching(/not started by a runbook/) });
  const outcome = await setup.harness.run('maintenance-on', { environment: 'staging' });
  expect(outcome.status).toBe('succeeded');
});

test("a run whose workflow ID is a lock's ID is refused, waiting or not", async () => {
  for (const workflowId of [lockId(STAGING), lockId(PRODUCTION)]) {
    const handle = await setup.harness.client.workflow.start('maintenanceOn', {
      args: [{ environment: 'staging', waitForLock: true }],
      taskQueue: setup.harness.taskQueue,
      workflowId,
    });
    const outcome = await waitForRunbook(handle as never);
    expect(outcome.status === 'failed' && outcome.error).toMatchObject({
      type: 'InvalidRunbookInput',
      message: expect.stringMatching(/workflow ID starts with "app-lock-\w+\.", which is reserved for the app locks/),
    });
  }
  expect(await changingEffects()).toEqual([]);
});

test('waiting for the lock ends at its deadline, naming the holder', async () => {
  const { handle } = await setup.harness.recoveryAwaitingApproval(started);
  const waiting = await setup.harness.run('maintenance-on', {
    environment: 'production',
    waitForLock: true,
    lockWaitMinutes: 0.05,
  });
  expect(waiting.status === 'failed' && waiting.error).toMatchObject({
    type: 'AppLocked',
    message: expect.stringMatching(/^Waited 3 seconds for csis-reconasia-alfa's lock, which disaster-recovery/),
  });
  await setup.harness.reject(handle, 'bob', 'test over');
  expect(await changingEffects()).toEqual([]);
});
