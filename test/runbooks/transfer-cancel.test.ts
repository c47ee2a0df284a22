// Cancel means cancel, and every wait has a deadline: a cancelled or overdue backup or restore is cancelled on
// Heroku too (the simulator shows the transfer cancelled), and the run says how it left the database.
import type { WorkflowHandle } from '@temporalio/client';
import type { RunbookInput } from '../../client/launch';
import { progressQuery } from '../../common/messages';
import type { RunbookProgress } from '../../common/progress';
import { PRODUCTION, STAGING, useRunbookHarness } from '../support/harness';
import { until } from '../support/until';

const setup = useRunbookHarness(
  {
    environments: {
      staging: { app: STAGING },
      // Deadlines of a few seconds: 3 s at least, and the size at 1 MiB/s.
      'staging-tight': {
        app: STAGING,
        backups: { transferDeadline: { minimumSeconds: 3, margin: 1 } },
        disasterRecovery: { approval: { required: false } },
      },
      production: { app: PRODUCTION },
    },
  },
  { speed: 1 },
);
const { started } = setup;
beforeEach(async () => {
  // A backup or restore of staging's 9 MB database takes about 90 s (simulated = real time here).
  await setup.harness.sim.control('PUT', 'data-api', { transferBytesPerSecond: 100_000 });
});

const FAST = { heartbeatTimeoutSeconds: 5 };
const effects = async (kind: string) => (await setup.harness.sim.effects()).filter((effect) => effect.kind === kind);

async function transfers(app: string) {
  return (await setup.harness.sim
    .api()
    .request({ method: 'GET', path: `/client/v11/apps/${app}/transfers` })) as Array<{
    num: number;
    canceled_at: string | null;
    finished_at: string | null;
    to_type: string;
  }>;
}

async function startAndWaitFor<N extends 'capture-backup' | 'restore-backup'>(
  name: N,
  input: RunbookInput<N>,
  step: string,
): Promise<WorkflowHandle> {
  const handle = await setup.harness.start(name, input);
  started.push(handle);
  await until(
    () => handle.query(progressQuery),
    (p: RunbookProgress) =>
      p.currentStep === step && /: \d+ %|pending|running/.test(p.steps.find((s) => s.name === step)?.detail ?? ''),
    `${name} to be transferring`,
  );
  return handle;
}

test('cancelling capture-backup cancels the backup on Heroku and says so', async () => {
  const handle = await startAndWaitFor('capture-backup', { environment: 'staging', timing: FAST }, 'capture');
  await handle.cancel();
  await expect(handle.result()).rejects.toThrow();
  expect((await handle.describe()).status.name).toBe('CANCELLED');

  const [cancel] = await effects('transfer-cancel');
  expect(cancel).toMatchObject({ app: STAGING, name: expect.stringMatching(/^b\d{3}$/) });
  const newest = (await transfers(STAGING)).sort((a, b) => b.num - a.num)[0];
  expect(newest.canceled_at).not.toBeNull();
  const progress = await handle.query(progressQuery);
  expect(progress.leftState).toMatch(/^Backup b\d{3} was cancelled on Heroku at .*; the database is unchanged\.$/);
  const trail = (await setup.harness.audit.query({ workflowId: handle.workflowId })).reverse();
  expect(trail.map((entry) => entry.event)).toEqual(['started', 'intent', 'change', 'intent', 'change', 'failed']);
  expect(trail[3].summary).toMatch(/^about to cancel b\d{3} on Heroku \(the run was cancelled\)$/);
  expect(trail[4].summary).toMatch(/^cancelled b\d{3} on Heroku at /);
  expect(trail[5].summary).toMatch(
    /^capture-backup was cancelled by an unverified caller \(a Temporal cancel request, no proof\)\. Backup b\d{3} was cancelled on Heroku/,
  );
});

test('cancelling restore-backup cancels the restore on Heroku and says the database may be inconsistent', async () => {
  const handle = await startAndWaitFor(
    'restore-backup',
    { app: PRODUCTION, backup: 'b015', confirm: PRODUCTION, timing: FAST },
    'restore',
  );
  await handle.cancel();
  await expect(handle.result()).rejects.toThrow();
  expect(await effects('transfer-cancel')).toEqual([
    expect.objectContaining({ name: expect.stringMatching(/^r\d{3}$/) }),
  ]);
  const restore = (await transfers(PRODUCTION))
    .filter((t) => t.to_type === 'pg_restore')
    .sort((a, b) => b.num - a.num)[0];
  expect(restore.canceled_at).not.toBeNull();
  const progress = await handle.query(progressQuery);
  expect(progress.leftState).toMatch(
    /^Restore r\d{3} of b015 was cancelled on Heroku at .*: DATABASE_URL may be partly restored and inconsistent\. Restore it again/,
  );
});

test('a backup past its deadline is cancelled on Heroku and the run fails saying why', async () => {
  const outcome = await setup.harness.run('capture-backup', { environment: 'staging-tight', timing: FAST });
  expect(outcome.status === 'failed' && outcome.error).toMatchObject({
    type: 'TransferTimedOut',
    message: expect.stringMatching(
      /^b\d{3} did not finish within \d+ seconds, the deadline for .* \(backups\.transferDeadline in the environments file\); it was cancelled on Heroku at /,
    ),
  });
  expect(await effects('transfer-cancel')).toHaveLength(1);
});

test('a disaster recovery whose restore passes its deadline stops it and fails with maintenance left on', async () => {
  const outcome = await setup.harness.run('disaster-recovery', {
    environment: 'staging-tight',
    backup: 'latest',
    confirm: STAGING,
    timing: FAST,
  } as RunbookInput<'disaster-recovery'>);
  expect(outcome.status).toBe('failed');
  if (outcome.status !== 'failed') return;
  expect(outcome.error.type).toBe('DisasterRecoveryFailed');
  expect(outcome.error.message).toMatch(/did not finish within \d+ seconds/);
  expect(outcome.error.message).toMatch(/State of csis-reconasia-bravo: database may be inconsistent; maintenance ON/);
  expect(outcome.error.message).toMatch(/restore r\d{3} was stopped/);
  expect(await effects('transfer-cancel')).toHaveLength(1);
  const config = await setup.harness.sim.api().get(`/apps/${STAGING}/config-vars`);
  expect(config.MAINTENANCE_MODE).toBe('True');
});
