import type { CaptureBackupResult, ListBackupsResult } from '../../common/backups';
import { progressQuery } from '../../workflows/messages';
import { PRODUCTION, RunbookHarness, STAGING } from '../support/harness';

let harness: RunbookHarness;

beforeAll(async () => {
  harness = await RunbookHarness.start({ environments: { production: { app: PRODUCTION }, staging: { app: STAGING } } });
});
afterAll(() => harness?.stop());
beforeEach(async () => {
  await harness.sim.reset();
  // 60×: the simulator's ~7-second backup of a 9.6 MB database takes a fraction of a second.
  await harness.sim.control('PUT', 'clock', { speed: 60 });
});

const backupEffects = async () => (await harness.sim.effects()).filter((effect) => effect.kind === 'backup');

test('capture-backup takes one backup, waits for it, and returns its name and size', async () => {
  const outcome = await harness.run<'capture-backup', CaptureBackupResult>('capture-backup', { environment: 'production' });
  expect(outcome.status).toBe('succeeded');
  if (outcome.status !== 'succeeded') return;
  const { backup } = outcome.result;
  expect(backup).toMatchObject({ name: 'b017', kind: 'backup', status: 'succeeded' });
  expect(backup.sourceBytes).toBeGreaterThan(9_000_000);
  expect(outcome.result.summary).toMatch(/^Backup b017 \(succeeded, 9\.\d\d MB\) of csis-reconasia-alfa's DATABASE_URL is complete\.$/);
  expect(await backupEffects()).toEqual([expect.objectContaining({ app: PRODUCTION, name: 'b017' })]);
  const progress = await harness.client.workflow.getHandle(outcome.workflowId).query(progressQuery);
  expect(progress.steps.map((step) => [step.name, step.status])).toEqual([
    ['resolve', 'succeeded'],
    ['database', 'succeeded'],
    ['capture', 'succeeded'],
  ]);
  expect(progress.steps[2].detail).toMatch(/^b017 \(succeeded, 9\.\d\d MB\)$/);
});

test('a capture Heroku started but answered 503 for is adopted, not taken twice', async () => {
  await harness.sim.control('POST', 'faults', { method: 'POST', path: '/client/v11/databases/*/backups', action: 'apply-then-fail', count: 1 });
  const outcome = await harness.run<'capture-backup', CaptureBackupResult>('capture-backup', { environment: 'production' });
  expect(outcome.status === 'succeeded' && outcome.result.backup.name).toBe('b017');
  expect(await backupEffects()).toHaveLength(1);
  const posts = (await harness.sim.calls()).filter((call) => call.method === 'POST' && call.path.endsWith('/backups'));
  expect(posts.map((call) => call.status)).toEqual([503]);
});

test('a backup that fails fails the run with Heroku\'s log lines, without retrying the capture', async () => {
  await harness.sim.control('PUT', 'data-api', { failNextCaptures: 1 });
  const outcome = await harness.run('capture-backup', { environment: 'production' });
  expect(outcome.status).toBe('failed');
  if (outcome.status !== 'failed') return;
  expect(outcome.error.type).toBe('TransferFailed');
  expect(outcome.error.message).toMatch(/^b017 did not complete successfully; Heroku's last log lines: .+/);
  expect(await backupEffects()).toHaveLength(1);
});

test('list-backups lists the runbook\'s backups b012–b016, newest first', async () => {
  const result = await harness.succeeded<ListBackupsResult>('list-backups', { environment: 'production' });
  expect(result.backups.map((backup) => backup.name)).toEqual(['b016', 'b015', 'b014', 'b013', 'b012']);
  expect(result.backups.every((backup) => backup.status === 'succeeded')).toBe(true);
  expect(result.summary).toMatch(/^csis-reconasia-alfa: 5 backups, latest good one b016 \(succeeded, 9\.59 MB\)/);
  expect((await harness.sim.calls()).filter((call) => call.method !== 'GET')).toEqual([]);
});
