import type {
  CaptureBackupResult,
  ListBackupsResult,
  RestoreBackupResult,
  ScheduleBackupsResult,
} from '../../common/backups';
import { progressQuery } from '../../common/messages';
import { PRODUCTION, RunbookHarness, STAGING } from '../support/harness';

let harness: RunbookHarness;

beforeAll(async () => {
  harness = await RunbookHarness.start({
    environments: { production: { app: PRODUCTION }, staging: { app: STAGING } },
  });
});
afterAll(() => harness?.stop());
beforeEach(async () => {
  await harness.sim.reset();
  // 60×: the simulator's ~7-second backup of a 9.6 MB database takes a fraction of a second.
  await harness.sim.control('PUT', 'clock', { speed: 60 });
});

const backupEffects = async () => (await harness.sim.effects()).filter((effect) => effect.kind === 'backup');

test('capture-backup takes one backup, waits for it, and returns its name and size', async () => {
  const outcome = await harness.run<'capture-backup', CaptureBackupResult>('capture-backup', {
    environment: 'production',
  });
  expect(outcome.status).toBe('succeeded');
  if (outcome.status !== 'succeeded') return;
  const { backup } = outcome.result;
  expect(backup).toMatchObject({ name: 'b017', kind: 'backup', status: 'succeeded' });
  expect(backup.sourceBytes).toBeGreaterThan(9_000_000);
  expect(outcome.result.summary).toMatch(
    /^Backup b017 \(succeeded, 9\.\d\d MB\) of csis-reconasia-alfa's DATABASE_URL is complete\.$/,
  );
  expect(await backupEffects()).toEqual([expect.objectContaining({ app: PRODUCTION, name: 'b017' })]);
  const progress = await harness.client.workflow.getHandle(outcome.workflowId).query(progressQuery);
  expect(progress.steps.map((step) => [step.name, step.status])).toEqual([
    ['resolve', 'succeeded'],
    ['lock', 'succeeded'],
    ['database', 'succeeded'],
    ['capture', 'succeeded'],
  ]);
  expect(progress.steps[3].detail).toMatch(/^b017 \(succeeded, 9\.\d\d MB\)$/);
});

test('a capture Heroku started but answered 503 for is adopted, not taken twice', async () => {
  await harness.sim.control('POST', 'faults', {
    method: 'POST',
    path: '/client/v11/databases/*/backups',
    action: 'apply-then-fail',
    count: 1,
  });
  const outcome = await harness.run<'capture-backup', CaptureBackupResult>('capture-backup', {
    environment: 'production',
  });
  expect(outcome.status === 'succeeded' && outcome.result.backup.name).toBe('b017');
  expect(await backupEffects()).toHaveLength(1);
  const posts = (await harness.sim.calls()).filter((call) => call.method === 'POST' && call.path.endsWith('/backups'));
  expect(posts.map((call) => call.status)).toEqual([503]);
});

test("a backup that fails fails the run with Heroku's log lines, without retrying the capture", async () => {
  await harness.sim.control('PUT', 'data-api', { failNextCaptures: 1 });
  const outcome = await harness.run('capture-backup', { environment: 'production' });
  expect(outcome.status).toBe('failed');
  if (outcome.status !== 'failed') return;
  expect(outcome.error.type).toBe('TransferFailed');
  expect(outcome.error.message).toMatch(/^b017 did not complete successfully; Heroku's last log lines: .+/);
  expect(await backupEffects()).toHaveLength(1);
});

test("list-backups lists the runbook's backups b012–b016, newest first", async () => {
  const result = await harness.succeeded<ListBackupsResult>('list-backups', { environment: 'production' });
  expect(result.backups.map((backup) => backup.name)).toEqual(['b016', 'b015', 'b014', 'b013', 'b012']);
  expect(result.backups.every((backup) => backup.status === 'succeeded')).toBe(true);
  expect(result.summary).toMatch(/^csis-reconasia-alfa: 5 backups, latest good one b016 \(succeeded, 9\.59 MB\)/);
  expect((await harness.sim.calls()).filter((call) => call.method !== 'GET')).toEqual([]);
});

describe('restore-backup', () => {
  const restoreEffects = async () => (await harness.sim.effects()).filter((effect) => effect.kind === 'restore');
  const liveBackup = async () => {
    const databases = await harness.sim.control<
      Array<{ app: string; attachments: string[]; live_backup: string | null }>
    >('GET', 'databases');
    return databases.find((db) => db.app === PRODUCTION && db.attachments.includes('DATABASE'))?.live_backup;
  };

  test('restores b016 once, waits for it, and the database then holds b016', async () => {
    const outcome = await harness.run<'restore-backup', RestoreBackupResult>('restore-backup', {
      environment: 'production',
      backup: 'b016',
      confirm: PRODUCTION,
    });
    expect(outcome.status).toBe('succeeded');
    if (outcome.status !== 'succeeded') return;
    expect(outcome.result).toMatchObject({
      backup: { name: 'b016' },
      restore: { kind: 'restore', status: 'succeeded' },
      database: 'DATABASE_URL',
    });
    expect(outcome.result.summary).toMatch(/^Restored b016 into csis-reconasia-alfa's DATABASE_URL \(r\d{3}\)\.$/);
    expect(await restoreEffects()).toEqual([expect.objectContaining({ app: PRODUCTION, backup: 'b016' })]);
    expect(await liveBackup()).toBe('b016');
  });

  test('"latest" picks the newest backup that succeeded; a 503 after Heroku started it does not restore twice', async () => {
    await harness.sim.control('POST', 'faults', {
      method: 'POST',
      path: '/client/v11/databases/*/restores',
      action: 'apply-then-fail',
      count: 1,
    });
    const outcome = await harness.run<'restore-backup', RestoreBackupResult>('restore-backup', {
      environment: 'production',
      backup: 'latest',
      confirm: PRODUCTION,
    });
    expect(outcome.status === 'succeeded' && outcome.result.backup.name).toBe('b016');
    expect(await restoreEffects()).toHaveLength(1);
    expect(await liveBackup()).toBe('b016');
  });

  test('refuses before any change: wrong confirmation, unknown backup', async () => {
    const unconfirmed = await harness.run('restore-backup', {
      environment: 'production',
      backup: 'b016',
      confirm: STAGING,
    });
    expect(unconfirmed.status === 'failed' && unconfirmed.error.message).toMatch(
      /confirm with the app name \(confirm: "csis-reconasia-alfa"\).*Nothing was changed/,
    );
    const unknown = await harness.run('restore-backup', {
      environment: 'production',
      backup: 'b099',
      confirm: PRODUCTION,
    });
    expect(unknown.status === 'failed' && unknown.error).toMatchObject({
      type: 'BackupUnusable',
      message: expect.stringMatching(
        /^Backup b099 not found for csis-reconasia-alfa \(its backups: b016, b015, b014, b013, b012\)\. Nothing was changed\.$/,
      ),
    });
    expect(await restoreEffects()).toEqual([]);
    expect(
      (await harness.sim.calls()).filter((call) => call.method !== 'GET' && !call.path.startsWith('/actions/')),
    ).toEqual([]);
  });
});

describe('schedule-backups', () => {
  const scheduleSets = async () => (await harness.sim.effects()).filter((effect) => effect.kind === 'schedule-set');

  test('sets the schedule, keeps an identical one (zone abbreviations as the CLI reads them), replaces a different one', async () => {
    const first = await harness.succeeded<ScheduleBackupsResult>('schedule-backups', {
      environment: 'production',
      at: '02:00 America/New_York',
    });
    expect(first).toMatchObject({
      changed: true,
      previous: null,
      schedule: { hour: 2, timezone: 'America/New_York', name: 'DATABASE_URL' },
    });
    expect(first.summary).toBe("csis-reconasia-alfa's DATABASE_URL is now backed up daily at 02:00 America/New_York.");

    const same = await harness.succeeded<ScheduleBackupsResult>('schedule-backups', {
      environment: 'production',
      at: '2:00 EST',
    });
    expect(same.changed).toBe(false);
    expect(await scheduleSets()).toHaveLength(1);

    const moved = await harness.succeeded<ScheduleBackupsResult>('schedule-backups', {
      environment: 'production',
      at: '04:00 UTC',
    });
    expect(moved).toMatchObject({ changed: true, previous: { hour: 2 }, schedule: { hour: 4, timezone: 'UTC' } });
    expect(await scheduleSets()).toHaveLength(2);
  });

  test('a time that does not parse is refused naming the field', async () => {
    await expect(harness.start('schedule-backups', { environment: 'production', at: 'at two' })).rejects.toThrow(
      /at: must be an hour and a time zone/,
    );
  });
});
