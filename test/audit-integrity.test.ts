// Every change is on the record, and nothing secret is: the intent is written before a change and the outcome after;
// a trail that cannot be written stops the run before it changes anything; input is checked, then recorded
// redacted; refused approvals are recorded however they arrived, under the name they claimed; and a run Temporal
// ended by itself gets its end from the worker's reconciler. Effects are read from the simulator.
import Database from 'better-sqlite3';
import { waitForRunbook } from '../client/launch';
import { approveSignal } from '../common/messages';
import { EndReconciler } from '../worker/end-reconciler';
import { PRODUCTION, STAGING, useRunbookHarness } from './support/harness';
import { uniqueTaskQueue } from './support/temporal';
import { until } from './support/until';

const setup = useRunbookHarness({ environments: { production: { app: PRODUCTION }, staging: { app: STAGING } } });
const { started } = setup;

const changingEffects = async () =>
  (await setup.harness.sim.effects()).filter((effect) => effect.kind !== 'log-session');
const trailOf = async (workflowId: string) => (await setup.harness.audit.query({ workflowId })).reverse();

/** Holds the audit store's write lock, as a stuck migration or a backup tool would, until released. */
function lockAuditStore(): () => void {
  const db = new Database(setup.harness.audit.location);
  db.exec('BEGIN EXCLUSIVE');
  return () => {
    db.exec('ROLLBACK');
    db.close();
  };
}

/** Starts a workflow the way the Temporal UI does: one JSON object, no client-side checks. */
async function startFromUi(workflowType: string, input: unknown, workflowId = uniqueTaskQueue('ui')) {
  const handle = await setup.harness.client.workflow.start(workflowType, {
    args: [input],
    taskQueue: setup.harness.taskQueue,
    workflowId,
  });
  started.push(handle);
  return handle;
}

describe('a trail that cannot be written', () => {
  test('locked from the start: the run does not start, and Heroku is not called', async () => {
    const release = lockAuditStore();
    try {
      const outcome = await setup.harness.run('maintenance-on', { environment: 'staging' });
      expect(outcome.status === 'failed' && outcome.error).toMatchObject({
        type: 'AuditUnavailable',
        message: expect.stringMatching(
          /^The audit trail .*audit-.*\.db cannot be written \(database is locked; tried for 3 s\); nothing was changed: the run did not start\. Fix the audit store \(RUNBOOK_AUDIT_DB\)/,
        ),
      });
    } finally {
      release();
    }
    expect(await setup.harness.sim.calls()).toEqual([]);
  });

  test('locked after the start: the change is not made, and the run says it stopped before it', async () => {
    // The read of the app waits 3 s: time to lock the trail between the run's start and its change.
    await setup.harness.sim.control('POST', 'faults', {
      method: 'GET',
      path: `/apps/${STAGING}`,
      action: 'latency',
      latencyMs: 3000,
      count: 1,
    });
    const handle = await setup.harness.start('maintenance-on', { environment: 'staging' });
    await until(
      () => trailOf(handle.workflowId),
      (trail) => trail.some((entry) => entry.event === 'started'),
      'the start record',
    );
    const release = lockAuditStore();
    let outcome;
    try {
      outcome = await waitForRunbook(handle);
    } finally {
      release();
    }
    expect(outcome.status === 'failed' && outcome.error).toMatchObject({
      type: 'AuditUnavailable',
      message: expect.stringMatching(
        /nothing was changed: the run stopped before it would set MAINTENANCE_MODE=True on csis-reconasia-bravo/,
      ),
    });
    expect(await changingEffects()).toEqual([]);
    expect((await setup.harness.sim.calls()).filter((call) => call.method !== 'GET')).toEqual([]);
    expect((await setup.harness.sim.api().get(`/apps/${STAGING}/config-vars`)).MAINTENANCE_MODE).toBeUndefined();

    // Its end could not be written either: the reconciler writes it once the trail is back.
    const reconciler = new EndReconciler(setup.harness.client, setup.harness.audit);
    const [end] = await reconciler
      .reconcileOnce(0)
      .then((ends) => ends.filter((e) => e.workflowId === handle.workflowId));
    expect(end).toMatchObject({
      event: 'ended',
      summary: expect.stringMatching(/^maintenance-on ended failed in Temporal/),
    });
  });
});

test('a plain config value from the UI is refused and never reaches the trail', async () => {
  const secret = 'pk.live-9f8e7d6c5b4a-NOT-FOR-THE-TRAIL';
  const handle = await startFromUi('setConfigVars', { environment: 'staging', set: { MAPBOX_TOKEN: secret } });
  const outcome = await waitForRunbook(handle as never);
  expect(outcome.status === 'failed' && outcome.error).toMatchObject({
    type: 'InvalidRunbookInput',
    message: expect.stringMatching(/set\.MAPBOX_TOKEN: must be sealed/),
  });
  expect(outcome.status === 'failed' && outcome.error.message).not.toContain(secret);
  const trail = await trailOf(handle.workflowId);
  expect(trail.map((entry) => entry.event)).toEqual(['started', 'failed']);
  expect(trail[0].details).toEqual({
    input: { fields: ['environment', 'set'] },
    requester: { verified: false, claims: 'unknown' },
  });
  expect(JSON.stringify(trail)).not.toContain(secret);
  expect(await setup.harness.sim.calls()).toEqual([]);
});

test('a 3,000-character operator from the UI is refused naming the field, on the record, with the run ended cleanly', async () => {
  const handle = await startFromUi('maintenanceOn', { environment: 'staging', operator: 'x'.repeat(3000) });
  const outcome = await waitForRunbook(handle as never);
  expect(outcome.status === 'failed' && outcome.error).toMatchObject({
    type: 'InvalidRunbookInput',
    message: expect.stringMatching(/^Invalid input for maintenance-on: operator: /),
  });
  expect((await handle.describe()).status.name).toBe('FAILED');
  const trail = await trailOf(handle.workflowId);
  expect(trail.map((entry) => [entry.event, entry.operator])).toEqual([
    ['started', 'unverified (claims: unknown)'],
    ['failed', 'unverified (claims: unknown)'],
  ]);
  expect((await handle.describe()).searchAttributes.Operator).toEqual(['unverified (claims: unknown)']);
});

test('refused approvals are recorded however they arrived, under who sent them; the approver is the actor', async () => {
  const { handle, approval } = await setup.harness.recoveryAwaitingApproval(started);
  const refused = (update: Promise<unknown>) =>
    update.then(
      () => 'accepted',
      (err: Error) => err.message,
    );
  // Updates (the CLI): a stale hash, no proof at all. Signals (the UI): an unproven one claiming to be alice.
  expect(await refused(setup.harness.approve(handle, 'bob', { planHash: 'deadbeefdeadbeef' }))).not.toBe('accepted');
  expect(await refused(handle.executeUpdate('approve', { args: [{}] }))).not.toBe('accepted');
  await handle.signal(approveSignal, { approver: 'Alice', planHash: approval.planHash! });
  await until(
    () => setup.harness.audit.query({ workflowId: handle.workflowId, event: 'approval' }),
    (entries) => entries.filter((entry) => /refused/.test(entry.summary)).length === 3,
    'three refusals on the record',
  );
  await setup.harness.approve(handle, 'bob');
  await waitForRunbook(handle as never);

  const approvals = (await setup.harness.audit.query({ workflowId: handle.workflowId, event: 'approval' })).reverse();
  const refusals = approvals.filter((entry) => /refused/.test(entry.summary));
  // The stale hash under bob, who proved who he is; the others under what they claimed.
  expect(refusals.map((entry) => entry.operator).sort()).toEqual([
    'bob@csis.example',
    'unverified (claims: Alice)',
    'unverified (claims: unknown)',
  ]);
  expect(refusals.find((entry) => entry.operator === 'unverified (claims: Alice)')?.summary).toMatch(
    /no identity proof/,
  );
  // `runbook audit --operator bob@csis.example` finds bob's approval.
  const bobs = await setup.harness.audit.query({ operator: 'bob@csis.example', event: 'approval' });
  expect(
    bobs.some((entry) => entry.workflowId === handle.workflowId && /approved by bob@csis\.example/.test(entry.summary)),
  ).toBe(true);
});

test('a run terminated in Temporal gets its end in the trail from the reconciler, once', async () => {
  const { handle } = await setup.harness.recoveryAwaitingApproval(started);
  await handle.terminate('ops: wrong backup');
  const reconciler = new EndReconciler(setup.harness.client, setup.harness.audit);
  const ends = (await reconciler.reconcileOnce(0)).filter((end) => end.workflowId === handle.workflowId);
  expect(ends).toHaveLength(1);
  expect(ends[0]).toMatchObject({
    event: 'ended',
    operator: 'unverified (claims: alice)',
    app: PRODUCTION,
    summary: expect.stringMatching(
      /^disaster-recovery was terminated in Temporal by .+: ops: wrong backup, at \S+\. It wrote no end of its own, so how it left csis-reconasia-alfa is not known/,
    ),
    details: expect.objectContaining({ status: 'TERMINATED', reason: 'ops: wrong backup' }),
  });
  const again = (await reconciler.reconcileOnce(0)).filter((end) => end.workflowId === handle.workflowId);
  expect(again).toEqual([]);
  const trail = await trailOf(handle.workflowId);
  expect(trail.at(-1)?.event).toBe('ended');
  expect(trail.filter((entry) => entry.event === 'ended')).toHaveLength(1);
});

test('a change is recorded as intended before it is made, and with its outcome after', async () => {
  const outcome = await setup.harness.run('scale-dynos', { environment: 'staging', processes: { worker: 0 } });
  expect(outcome.status).toBe('succeeded');
  const trail = await trailOf(outcome.workflowId);
  const intent = trail.find((entry) => entry.event === 'intent')!;
  const change = trail.find((entry) => entry.event === 'change')!;
  expect(intent.summary).toBe('about to scale csis-reconasia-bravo: worker=0');
  expect(change.summary).toMatch(/^scaled worker=0/);
  expect(intent.seq).toBeLessThan(change.seq);
  expect(change.details).toMatchObject({ activity: 'scaleFormation', outcome: 'done' });
});

test('a change Heroku refuses is on the record as intended and as failed', async () => {
  const outcome = await setup.harness.run('scale-dynos', { environment: 'staging', processes: { clock: 1 } });
  expect(outcome.status === 'failed' && outcome.error.message).toMatch(/has no process type "clock"/);
  const trail = await trailOf(outcome.workflowId);
  expect(trail.map((entry) => entry.event)).toEqual(['started', 'intent', 'change', 'failed']);
  expect(trail[2]).toMatchObject({
    summary: expect.stringMatching(/^failed to scale csis-reconasia-bravo: clock=1: .*has no process type "clock"/),
    details: expect.objectContaining({ outcome: 'failed' }),
  });
});
