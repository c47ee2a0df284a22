import type { WorkflowHandle } from '@temporalio/client';
import { createActivities } from '../../activities';
import type { ApprovalState, DisasterRecoveryResult } from '../../common/disaster-recovery';
import { waitForRunbook, type RunbookInput } from '../../client/launch';
import { approvalQuery, approveUpdate, progressQuery } from '../../common/messages';
import { PEOPLE, PRODUCTION, RunbookHarness, STAGING, type PersonName } from '../support/harness';
import { until } from '../support/until';

let harness: RunbookHarness;
let heroku: ReturnType<typeof createActivities>;

const CLEAR_CACHE = 'python manage.py shell -c "from django.core.cache import cache; cache.clear()"';
const EMPTY_QUEUES = 'rq empty --all --url $REDISTOGO_URL';

beforeAll(async () => {
  harness = await RunbookHarness.start({
    environments: {
      production: {
        app: PRODUCTION,
        backups: { schedule: '02:00 America/New_York' },
        disasterRecovery: { clearCommands: [CLEAR_CACHE, EMPTY_QUEUES] },
      },
      staging: { app: STAGING, disasterRecovery: { clearCommands: [CLEAR_CACHE] } },
    },
  });
  // Reads the simulator as the runbooks would (the same activities, outside any workflow).
  heroku = createActivities(harness.deps(harness.sim.token));
});
afterAll(() => harness?.stop());
const started: WorkflowHandle[] = [];
afterEach(async () => {
  // A test that failed half-way must not leave a run holding the app's lock for the next one.
  for (const handle of started.splice(0)) await handle.terminate('test cleanup').catch(() => undefined);
});
beforeEach(async () => {
  await harness.sim.reset();
  await harness.sim.control('PUT', 'clock', { speed: 60 });
});

type DrInput = RunbookInput<'disaster-recovery'>;
const FAST = { heartbeatTimeoutSeconds: 5 };

/** A disaster recovery, started unverified (claiming `operator`) or, with `as`, proven as one of the people. */
async function launch(input: Partial<DrInput> & { operator?: string }, as?: PersonName) {
  const handle = await harness.start(
    'disaster-recovery',
    { environment: 'production', backup: 'b016', timing: FAST, ...input } as DrInput,
    undefined,
    { as },
  );
  started.push(handle);
  return handle;
}

const waitingApproval = (handle: WorkflowHandle) =>
  until<ApprovalState>(
    () => handle.query(approvalQuery),
    (state) => state.status === 'waiting',
    'the plan to wait for approval',
  );

async function appState(app: string) {
  const target = await heroku.resolveTarget({ app });
  const database = await heroku.resolveDatabase({ app });
  const databases = await harness.sim.control<
    Array<{ app: string; attachments: string[]; live_backup: string | null }>
  >('GET', 'databases');
  return {
    formation: Object.fromEntries((await heroku.readFormation({ app })).map((p) => [p.type, p.quantity])),
    maintenance: (await heroku.readMaintenanceState({ app, settings: target.maintenance })).configVar?.state,
    schedules: (await heroku.readBackupSchedules({ database })).map((s) => `${s.name} ${s.hour} ${s.timezone}`),
    liveBackup: databases.find((db) => db.app === app && db.attachments.includes('DATABASE'))?.live_backup,
  };
}

/** The reason an Update was refused (its validator's message). */
async function refusal(update: Promise<unknown>): Promise<string> {
  const err = await update.then(
    () => null,
    (e: Error & { cause?: Error }) => e,
  );
  if (!err) throw new Error('the Update was accepted');
  return err.cause?.message ?? err.message;
}

const effects = async (kind: string) => (await harness.sim.effects()).filter((effect) => effect.kind === kind);

describe('production, approved by a second person', () => {
  test('restores b016 with maintenance, quiet jobs, safety backup, schedule, caches, index — and leaves the app as before', async () => {
    const handle = await launch({ reason: 'bad migration at 02:40' }, 'alice');
    const approval = await waitingApproval(handle);
    expect(approval).toMatchObject({
      requester: PEOPLE.alice.email,
      required: true,
      plan: { backup: { name: 'b016' }, quiet: ['worker', 'scheduler'] },
    });
    expect(approval.planHash).toMatch(/^[0-9a-f]{16}$/);
    // Nothing has changed while it waits.
    expect((await harness.sim.effects()).length).toBe(0);

    // The requester cannot approve their own plan; an approval must name the plan on offer.
    expect(await refusal(harness.approve(handle, 'alice'))).toMatch(
      /^alice@csis\.example requested this run and cannot approve it: approval must come from a second person/,
    );
    expect(await refusal(harness.approve(handle, 'bob', { planHash: '0123456789abcdef' }))).toMatch(
      /^plan hash "0123456789abcdef" is not the hash of the plan awaiting approval/,
    );
    const decision = await harness.approve(handle, 'bob', { reason: 'checked with alice' });
    expect(decision).toMatchObject({ decision: 'approved', by: PEOPLE.bob.email, planHash: approval.planHash });

    const outcome = await waitForRunbook<DisasterRecoveryResult>(handle);
    if (outcome.status !== 'succeeded') throw new Error(outcome.error.message);
    expect(outcome.result.summary).toMatch(
      /^Restored b016 into csis-reconasia-alfa \(production\)'s DATABASE_URL \(r\d{3}\)\. Safety backup b017 taken first\./,
    );
    expect(outcome.result.approval).toMatchObject({ by: PEOPLE.bob.email, reason: 'checked with alice' });

    // The simulator's state and its record of what was applied.
    expect(await appState(PRODUCTION)).toEqual({
      formation: { web: 1, worker: 1, scheduler: 1 },
      maintenance: 'unset',
      schedules: ['DATABASE_URL 2 America/New_York'],
      liveBackup: 'b016',
    });
    expect(await effects('restore')).toEqual([expect.objectContaining({ backup: 'b016' })]);
    expect(await effects('backup')).toEqual([expect.objectContaining({ name: 'b017' })]);
    // One one-off dyno per command, each exited 0: the two clear commands, then the index rebuild.
    const dynos = (await effects('dyno-create')) as unknown as Array<{ command: string }>;
    expect(dynos.map((d) => d.command.replace(/\s*# heroku-runbooks:.*$/, ''))).toEqual([
      CLEAR_CACHE,
      EMPTY_QUEUES,
      'python manage.py rebuild_index --noinput',
    ]);
    const exits = (await effects('dyno-exit')) as unknown as Array<{ status: number }>;
    expect(exits.map((e) => e.status)).toEqual([0, 0, 0]);

    const progress = await handle.query(progressQuery);
    expect(progress.steps.filter((s) => s.status === 'failed')).toEqual([]);
    expect(progress.steps.find((s) => s.name === 'index')?.status).toBe('succeeded');

    const trail = (await harness.audit.query({ workflowId: handle.workflowId })).reverse();
    expect(
      trail.some(
        (entry) =>
          entry.event === 'approval' && /approved by bob@csis\.example: checked with alice/.test(entry.summary),
      ),
    ).toBe(true);
    // The refused Updates are on the record too, each under its sender's verified email; the approval under bob's.
    const approvals = trail.filter((entry) => entry.event === 'approval');
    expect(
      approvals
        .filter((entry) => /refused/.test(entry.summary))
        .map((entry) => entry.operator)
        .sort(),
    ).toEqual([PEOPLE.alice.email, PEOPLE.bob.email]);
    expect(approvals.find((entry) => /approved by bob/.test(entry.summary))?.operator).toBe(PEOPLE.bob.email);
  });

  test('a dry run changes nothing and its plan hash is stable', async () => {
    const first = await harness.succeeded<DisasterRecoveryResult>('disaster-recovery', {
      environment: 'production',
      backup: 'b016',
      dryRun: true,
    });
    const second = await harness.succeeded<DisasterRecoveryResult>('disaster-recovery', {
      environment: 'production',
      backup: 'latest',
      dryRun: true,
    });
    expect(first.planHash).toBe(second.planHash);
    expect(first.plan.steps.map((s) => [s.name, s.skip === null])).toContainEqual(['safety-backup', true]);
    expect(first.summary).toMatch(/^Dry run, nothing changed\. Plan [0-9a-f]{16}/);
    expect(
      (await harness.sim.calls()).filter((call) => call.method !== 'GET' && !call.path.includes('resolve')),
    ).toEqual([]);
  });

  test('a rejection ends the run with nothing changed', async () => {
    const handle = await launch({ operator: 'alice' });
    await waitingApproval(handle);
    await harness.reject(handle, 'bob', 'b016 predates the fix; use b015');
    const outcome = await waitForRunbook(handle);
    expect(outcome.status === 'failed' && outcome.error).toMatchObject({
      type: 'Rejected',
      message: expect.stringMatching(
        /^Rejected by bob@csis\.example: b016 predates the fix; use b015\. Nothing was changed/,
      ),
    });
    expect(await harness.sim.effects()).toEqual([]);
  });

  test('without approval in time the run ends "not approved", nothing changed', async () => {
    const handle = await launch({ operator: 'alice', approvalTimeoutMinutes: 2 / 60 });
    const outcome = await waitForRunbook(handle);
    expect(outcome.status === 'failed' && outcome.error).toMatchObject({
      type: 'NotApproved',
      message: expect.stringMatching(/^Not approved within 2 seconds: nothing was changed/),
    });
    expect(await harness.sim.effects()).toEqual([]);
    const described = await handle.describe();
    expect(described.searchAttributes.RunbookOutcome).toEqual(['not-approved']);
  });

  test('a change to the live state after approval stops the run before any change, and it asks again', async () => {
    const handle = await launch({ operator: 'alice' });
    const first = await waitingApproval(handle);
    // Someone scales web up by hand between planning and approval.
    await harness.sim
      .api()
      .patch(`/apps/${PRODUCTION}/formation`, { body: { updates: [{ type: 'web', quantity: 2 }] } });
    await harness.approve(handle, 'bob', { planHash: first.planHash! });
    const again = await until(
      () => handle.query(approvalQuery),
      (s) => s.status === 'waiting' && s.planHash !== first.planHash,
      'a new plan',
    );
    expect(again.drift).toMatch(/formation .*web=1.* → .*web=2/);
    // Only the hand-made scale so far: no runbook change.
    expect((await harness.sim.effects()).map((e) => e.kind)).toEqual(['formation']);
    await harness.reject(handle, 'bob', 'someone is scaling by hand; stop');
    expect((await waitForRunbook(handle)).status).toBe('failed');
  });

  test('an approval sent as a Signal (the Temporal UI) is checked the same way; a refused one is recorded', async () => {
    const handle = await launch({}, 'alice');
    const offered = await waitingApproval(handle);
    // Unproven (what the UI sends without `runbook proof`), and then proven but by the requester herself.
    await handle.signal('approve', { approver: 'bob', planHash: offered.planHash });
    const refused = await until(
      () => handle.query(approvalQuery),
      (s) => s.refused.length > 0,
      'the refusal',
    );
    expect(refused.status).toBe('waiting');
    expect(refused.refused[0]).toMatchObject({
      by: 'unverified (claims: bob)',
      why: expect.stringMatching(/^no identity proof/),
    });
    const { proof } = await harness.atRealSpeed(() =>
      harness.prover('alice').prove('approve', handle.workflowId, offered.planHash!),
    );
    await handle.signal('approve', { planHash: offered.planHash, proof });
    const second = await until(
      () => handle.query(approvalQuery),
      (s) => s.refused.length > 1,
      'the second refusal',
    );
    expect(second.refused[1]).toMatchObject({
      by: PEOPLE.alice.email,
      why: expect.stringMatching(/cannot approve it/),
    });
    await handle.signal('reject', { approver: 'carol', reason: 'testing the UI path' });
    await harness.reject(handle, 'bob', 'testing the UI path');
    expect((await waitForRunbook(handle)).status).toBe('failed');
    const trail = (await harness.audit.query({ workflowId: handle.workflowId })).reverse();
    const refusals = trail.filter((entry) => entry.event === 'approval' && /refused/.test(entry.summary));
    expect(refusals.map((entry) => entry.summary)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^approval claimed by bob \(unverified\) refused: no identity proof/),
        expect.stringMatching(/^approval by alice@csis\.example refused: .*cannot approve it/),
        expect.stringMatching(/^rejection claimed by carol \(unverified\) refused: no identity proof/),
      ]),
    );
  });

  test('two launches on one app: exactly one runs, the other is refused naming it', async () => {
    const [a, b] = await Promise.all([launch({ operator: 'alice' }), launch({ operator: 'dave' })]);
    const outcomes = await Promise.all(
      [a, b].map(async (handle) => {
        const result = await Promise.race([
          waitForRunbook(handle),
          waitingApproval(handle).then(() => 'waiting' as const),
        ]);
        return { handle, result };
      }),
    );
    const running = outcomes.filter((o) => o.result === 'waiting');
    const refused = outcomes.filter((o) => o.result !== 'waiting');
    expect(running).toHaveLength(1);
    expect(refused).toHaveLength(1);
    const holder = running[0].handle;
    const operator = `unverified \\(claims: ${holder === a ? 'alice' : 'dave'}\\)`;
    const outcome = refused[0].result as Awaited<ReturnType<typeof waitForRunbook>>;
    expect(outcome.status === 'failed' && outcome.error.type).toBe('AppLocked');
    expect(outcome.status === 'failed' && outcome.error.message).toMatch(
      new RegExp(
        `^disaster-recovery \\(${holder.workflowId.replace(/\./g, '\\.')}\\), started by ${operator} at \\d{4}-.*Z is changing csis-reconasia-alfa; .*runbook status ${holder.workflowId.replace(/\./g, '\\.')}.*--wait-for-lock`,
      ),
    );
    // Read-only runbooks are never blocked.
    expect((await harness.run('app-status', { environment: 'production' })).status).toBe('succeeded');
    // Nor is another app.
    expect((await harness.run('maintenance-on', { environment: 'staging' })).status).toBe('succeeded');
    // A step runbook on the locked app is refused too; with waitForLock it queues until the lock is free.
    const scale = await harness.run('scale-dynos', { environment: 'production', processes: { web: 2 } });
    expect(scale.status === 'failed' && scale.error.type).toBe('AppLocked');
    const queued = await harness.start('scale-dynos', {
      environment: 'production',
      processes: { web: 2 },
      waitForLock: true,
    });
    started.push(queued);
    await until(
      () => queued.query(progressQuery),
      (p) => /waiting for disaster-recovery/.test(p.steps.find((s) => s.name === 'lock')?.detail ?? ''),
      'the queued run to wait',
    );
    await harness.reject(holder, 'bob', 'only testing the lock');
    await waitForRunbook(holder);
    expect((await waitForRunbook(queued)).status).toBe('succeeded');
    expect((await appState(PRODUCTION)).formation.web).toBe(2);
  });
});

describe('staging (no approval needed: confirmed with the app name)', () => {
  const stagingLaunch = (input: Partial<DrInput> = {}) =>
    launch({ environment: 'staging', backup: 'b010', confirm: STAGING, operator: 'erin', ...input });

  test('without --confirm it refuses before changing anything', async () => {
    const outcome = await waitForRunbook(await stagingLaunch({ confirm: undefined }));
    expect(outcome.status === 'failed' && outcome.error.message).toMatch(
      /confirm with the app name \(--confirm csis-reconasia-bravo\)/,
    );
    expect(await harness.sim.effects()).toEqual([]);
  });

  test('a failed restore: processes scaled back, maintenance left ON, and the result says so', async () => {
    await harness.sim.control('PUT', 'data-api', { failNextRestores: 1 });
    const outcome = await waitForRunbook(await stagingLaunch());
    if (outcome.status !== 'failed') throw new Error('expected a failure');
    expect(outcome.error.type).toBe('DisasterRecoveryFailed');
    expect(outcome.error.message).toMatch(/did not complete successfully/);
    expect(outcome.error.message).toMatch(/maintenance ON/);
    expect(outcome.error.message).toMatch(
      /maintenance left ON because the database may be inconsistent: restore r\d{3} of b010 did not complete/,
    );
    expect(outcome.error.message).toMatch(/Next: fix the cause, then `runbook retry /);
    const state = await appState(STAGING);
    expect(state.formation).toEqual({ web: 1, worker: 1, scheduler: 1 });
    expect(state.maintenance).toBe('on');
    expect(await effects('restore')).toHaveLength(1);
  });

  test('index rebuild exits 1: compensation, a clear result — and a retry finishes without restoring twice', async () => {
    await harness.sim.control('POST', 'dyno-outcomes', { pattern: 'rebuild_index', exitStatus: 1 });
    const handle = await stagingLaunch();
    const outcome = await waitForRunbook(handle);
    if (outcome.status !== 'failed') throw new Error('expected a failure');
    expect(outcome.error.message).toMatch(/exited with status 1/);
    expect(outcome.error.message).toMatch(/database restored from b010/);
    expect(outcome.error.message).toMatch(/maintenance turned off again/);
    expect(outcome.error.message).toMatch(/Not done: rebuild the search index/);
    expect(outcome.error.message).toMatch(/continues from "index" without restoring again/);
    let state = await appState(STAGING);
    expect(state).toMatchObject({
      formation: { web: 1, worker: 1, scheduler: 1 },
      maintenance: 'unset',
      liveBackup: 'b010',
    });
    expect(await effects('restore')).toHaveLength(1);

    // The cause is fixed; the retry continues from the index rebuild.
    await harness.sim.control('DELETE', 'dyno-outcomes');
    const retry = await stagingLaunch({
      resumeFrom: { workflowId: handle.workflowId, runId: handle.firstExecutionRunId },
    });
    const retried = await waitForRunbook<DisasterRecoveryResult>(retry);
    if (retried.status !== 'succeeded') throw new Error(retried.error.message);
    expect(await effects('restore')).toHaveLength(1);
    const progress = await retry.query(progressQuery);
    expect(progress.steps.find((s) => s.name === 'restore')).toMatchObject({
      status: 'skipped',
      detail: expect.stringMatching(/^done in .*verified$/),
    });
    expect(progress.steps.find((s) => s.name === 'index')?.status).toBe('succeeded');
    state = await appState(STAGING);
    // Staging's schedule, recorded by the first run before the restore dropped it, is back.
    expect(state).toEqual({
      formation: { web: 1, worker: 1, scheduler: 1 },
      maintenance: 'unset',
      schedules: ['DATABASE_URL 2 America/New_York'],
      liveBackup: 'b010',
    });
  });

  test('cancelled mid-restore: the restore is stopped, processes scaled back, maintenance left on', async () => {
    await harness.sim.control('PUT', 'clock', { speed: 1 });
    const handle = await stagingLaunch();
    await until(
      () => handle.query(progressQuery),
      (p) =>
        p.currentStep === 'restore' && /restoring b010/.test(p.steps.find((s) => s.name === 'restore')?.detail ?? ''),
      'the restore to run',
    );
    await handle.cancel();
    const outcome = await waitForRunbook(handle).catch((err: Error) => ({ status: 'cancelled', message: err.message }));
    expect(outcome.status).not.toBe('succeeded');
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    const progress = await handle.query(progressQuery);
    expect(progress.leftState).toMatch(/^Cancelled at "restore"\. .*maintenance ON.*restore r\d{3} was stopped/);
    expect(await effects('transfer-cancel')).toHaveLength(1);
    const state = await appState(STAGING);
    expect(state.formation).toEqual({ web: 1, worker: 1, scheduler: 1 });
    expect(state.maintenance).toBe('on');
    const trail = (await harness.audit.query({ workflowId: handle.workflowId })).reverse();
    expect(trail.at(-1)).toMatchObject({
      event: 'failed',
      summary: expect.stringMatching(
        /^disaster-recovery was cancelled by an unverified caller \(a Temporal cancel request, no proof\)\. Cancelled at "restore"/,
      ),
    });
  });
});

test('bad input names the field before any Heroku call', async () => {
  await expect(launch({ backup: 'yesterday' })).rejects.toThrow(/backup: must be a backup name such as b016/);
  // From the UI (no client-side check) the workflow refuses the same way.
  const handle = await harness.client.workflow.start('disasterRecovery', {
    args: [{ environment: 'production', backup: 'yesterday' }],
    taskQueue: harness.taskQueue,
    workflowId: `dr-bad-input-${Date.now()}`,
  });
  const outcome = await waitForRunbook(handle);
  expect(outcome.status === 'failed' && outcome.error.message).toMatch(/backup: must be a backup name/);
  expect(await harness.sim.calls()).toEqual([]);
});

test('an Update to a run that does not wait for approval is refused', async () => {
  const handle = await harness.start('disaster-recovery', {
    environment: 'staging',
    backup: 'b010',
    confirm: STAGING,
    timing: FAST,
  });
  await waitForRunbook(handle);
  await expect(handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob', planHash: 'x' }] })).rejects.toThrow();
});
