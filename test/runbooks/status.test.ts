import type { AppStatusResult, VerifyBackupScheduleResult } from '../../common/status';
import { PRODUCTION, RunbookHarness, STAGING } from '../support/harness';
import { readableHistory } from '../support/temporal';

let harness: RunbookHarness;
const backups = { schedule: '02:00 America/New_York' };

beforeAll(async () => {
  harness = await RunbookHarness.start({
    environments: { production: { app: PRODUCTION, backups }, staging: { app: STAGING, backups } },
  });
});
afterAll(() => harness?.stop());
beforeEach(() => harness.sim.reset());

test('app-status reads everything and changes nothing; config var values stay out of it', async () => {
  const outcome = await harness.run<'app-status', AppStatusResult>('app-status', { environment: 'production' });
  expect(outcome.status).toBe('succeeded');
  if (outcome.status !== 'succeeded') return;
  const status = outcome.result;
  expect(status.maintenance).toMatchObject({
    platformFlag: false,
    configVar: { key: 'MAINTENANCE_MODE', state: 'unset' },
  });
  expect(status.formation.map((p) => p.type).sort()).toEqual(['scheduler', 'web', 'worker']);
  expect(status.addons.map((a) => a.plan)).toEqual(
    expect.arrayContaining(['heroku-postgresql:standard-0', 'redistogo:micro', 'memcachier:100', 'bonsai:staging']),
  );
  expect(status.configVarKeys).toEqual(expect.arrayContaining(['SECRET_KEY', 'DATABASE_URL', 'REDISTOGO_URL']));
  expect(status.latestBackups.map((b) => b.name)).toEqual(['b016', 'b015', 'b014']);
  expect(status.backupSchedule).toBeNull();
  expect(status.summary).toMatch(
    /^csis-reconasia-alfa: maintenance off; scheduler=1:Standard-1X web=1:Standard-1X worker=1:Standard-1X; \d+ add-ons; latest backup b016 .*; NO backup schedule; release v\d+$/,
  );
  expect(await harness.sim.effects()).toEqual([]);
  const secret: string = (await harness.sim.api().get(`/apps/${PRODUCTION}/config-vars`)).SECRET_KEY;
  expect(await readableHistory(harness.client, outcome.workflowId)).not.toContain(secret);
});

test('verify-backup-schedule reports drift against the configured schedule, and in-sync once it is fixed', async () => {
  const missing = await harness.succeeded<VerifyBackupScheduleResult>('verify-backup-schedule', {
    environment: 'production',
  });
  expect(missing).toMatchObject({
    drift: 'missing',
    expected: { hour: 2, timezone: 'America/New_York' },
    actual: null,
  });
  expect(missing.summary).toContain(
    'Fix: runbook run schedule-backups --app csis-reconasia-alfa --at "02:00 America/New_York".',
  );

  await harness.succeeded('schedule-backups', { environment: 'production', at: '05:00 UTC' });
  const different = await harness.succeeded<VerifyBackupScheduleResult>('verify-backup-schedule', {
    environment: 'production',
  });
  expect(different).toMatchObject({ drift: 'different', actual: { hour: 5, timezone: 'UTC' } });

  await harness.succeeded('schedule-backups', { environment: 'production', at: '02:00 America/New_York' });
  const fixed = await harness.succeeded<VerifyBackupScheduleResult>('verify-backup-schedule', {
    environment: 'production',
  });
  expect(fixed.drift).toBe('in-sync');
  // Staging's seeded schedule matches its config from the start.
  expect(
    (await harness.succeeded<VerifyBackupScheduleResult>('verify-backup-schedule', { environment: 'staging' })).drift,
  ).toBe('in-sync');
});
