// The disaster recovery's data-safety policy as a table of cases: pure functions, no Temporal server, no Heroku.
import {
  decideCompensation,
  describeLeftState,
  restoreToStop,
  type CompensationFacts,
} from '../common/recovery-compensation';

const base: CompensationFacts = {
  app: 'csis-reconasia-alfa',
  workflowId: 'dr-1',
  backup: 'b016',
  databaseVar: 'DATABASE_URL',
  cancelled: false,
  failedStep: 'index',
  lockBroken: false,
  maintenanceOnBefore: false,
  maintenanceTouched: true,
  quietTouched: true,
  recordedScale: 'worker=1 scheduler=1',
  restore: { state: 'succeeded', name: 'r005' },
  migrations: 'not-run',
  clearConfigured: true,
  clearDone: true,
  notDone: ['rebuild the search index'],
};

type Case = [
  string,
  Partial<CompensationFacts>,
  { scaleBack: boolean; maintenanceOff: boolean; database: string; keepMaintenance?: RegExp },
];

const cases: Case[] = [
  [
    'index failed after a good restore: undo everything',
    {},
    { scaleBack: true, maintenanceOff: true, database: 'restored' },
  ],
  [
    'restore failed: the database may be inconsistent, maintenance stays on',
    { failedStep: 'restore', restore: { state: 'failed', name: 'r005' } },
    {
      scaleBack: true,
      maintenanceOff: false,
      database: 'may be inconsistent',
      keepMaintenance: /restore r005 of b016 did not complete/,
    },
  ],
  [
    'restore asked for, answer lost: treated as unfinished',
    { failedStep: 'restore', restore: { state: 'asked' } },
    {
      scaleBack: true,
      maintenanceOff: false,
      database: 'may be inconsistent',
      keepMaintenance: /\(started, name unknown\)/,
    },
  ],
  [
    'restore cancelled on Heroku (run cancelled, or past its deadline)',
    { cancelled: true, failedStep: 'restore', restore: { state: 'canceled', name: 'r005' } },
    { scaleBack: true, maintenanceOff: false, database: 'may be inconsistent' },
  ],
  [
    'migrations started and failed: the schema may be half-migrated',
    { failedStep: 'migrations', migrations: 'started' },
    { scaleBack: true, maintenanceOff: false, database: 'restored', keepMaintenance: /migrations did not complete/ },
  ],
  [
    'restored but caches not cleared: stale data would be served',
    { failedStep: 'clear', clearDone: false },
    { scaleBack: true, maintenanceOff: false, database: 'restored', keepMaintenance: /would serve stale data/ },
  ],
  [
    'no clear commands configured: nothing stale to fear',
    { failedStep: 'clear', clearConfigured: false, clearDone: false },
    { scaleBack: true, maintenanceOff: true, database: 'restored' },
  ],
  [
    'failed before the restore: nothing restored, undo the rest',
    { failedStep: 'safety-backup', restore: { state: 'not-asked' }, notDone: [] },
    { scaleBack: true, maintenanceOff: true, database: 'untouched' },
  ],
  [
    'maintenance was on before: it stays on, quietly',
    { maintenanceOnBefore: true, maintenanceTouched: false },
    { scaleBack: true, maintenanceOff: false, database: 'restored' },
  ],
  [
    'nothing touched yet (failed in maintenance-on itself)',
    { maintenanceTouched: false, quietTouched: false, restore: { state: 'not-asked' }, failedStep: 'maintenance-on' },
    { scaleBack: false, maintenanceOff: false, database: 'untouched' },
  ],
  [
    'lock broken: undo nothing on the app, whatever else holds',
    { lockBroken: true },
    { scaleBack: false, maintenanceOff: false, database: 'restored', keepMaintenance: /app lock was broken/ },
  ],
  [
    'lock broken with an unfinished restore: maintenance stays on, processes stay quiet',
    { lockBroken: true, restore: { state: 'failed', name: 'r005' } },
    {
      scaleBack: false,
      maintenanceOff: false,
      database: 'may be inconsistent',
      keepMaintenance: /app lock was broken/,
    },
  ],
];

describe('decideCompensation', () => {
  test.each(cases)('%s', (_, overrides, expected) => {
    const decision = decideCompensation({ ...base, ...overrides });
    expect({
      scaleBack: decision.scaleBack,
      maintenanceOff: decision.maintenanceOff,
      database: decision.database,
    }).toEqual({
      scaleBack: expected.scaleBack,
      maintenanceOff: expected.maintenanceOff,
      database: expected.database,
    });
    if (expected.keepMaintenance) expect(decision.keepMaintenanceBecause).toMatch(expected.keepMaintenance);
  });

  test('only a restore still running is stopped first', () => {
    expect(restoreToStop({ ...base, restore: { state: 'running', name: 'r005' } })).toBe(true);
    for (const state of ['succeeded', 'failed', 'canceled'] as const) {
      expect(restoreToStop({ ...base, restore: { state, name: 'r005' } })).toBe(false);
    }
    expect(restoreToStop({ ...base, restore: { state: 'asked' } })).toBe(false);
  });
});

describe('describeLeftState', () => {
  test('a clean undo after a good restore says so, with the retry that continues', () => {
    const facts = base;
    const left = describeLeftState(facts, decideCompensation(facts), {
      scaledBack: { done: 'worker=1 scheduler=1' },
      maintenanceOff: { done: 'cleared MAINTENANCE_MODE' },
    });
    expect(left).toMatchObject({ maintenance: 'off', processes: 'as before', database: 'restored' });
    expect(left.statement).toBe(
      'Failed at "index". State of csis-reconasia-alfa: database restored from b016 (r005); maintenance OFF; processes scaled back. ' +
        'Compensation: processes scaled back (worker=1 scheduler=1); maintenance turned off again. Not done: rebuild the search index. ' +
        'Next: `runbook retry dr-1` continues from "index" without restoring again.',
    );
  });

  test('an action that fails is named with the command to do it by hand', () => {
    const facts = base;
    const left = describeLeftState(facts, decideCompensation(facts), {
      scaledBack: { error: 'Heroku answered 503' },
      maintenanceOff: { error: 'Heroku answered 503' },
    });
    expect(left).toMatchObject({ maintenance: 'unknown', processes: 'quiet' });
    expect(left.statement).toContain('run `heroku ps:scale worker=1 scheduler=1 -a csis-reconasia-alfa`');
    expect(left.statement).toContain('run `runbook run maintenance-off --app csis-reconasia-alfa`');
  });

  test('turning maintenance off refused before it asked for any change: maintenance is known to be still on', () => {
    const facts = base;
    const left = describeLeftState(facts, decideCompensation(facts), {
      scaledBack: { error: "Heroku rejected the worker's API token" },
      maintenanceOff: { error: "Heroku rejected the worker's API token", stillOn: true },
    });
    expect(left).toMatchObject({ maintenance: 'on', processes: 'quiet' });
    expect(left.statement).toContain('maintenance ON; processes still quiet');
    expect(left.statement).toContain(
      "maintenance could NOT be turned off (Heroku rejected the worker's API token) and is still ON: run `runbook run maintenance-off --app csis-reconasia-alfa`",
    );
  });

  test('a stopped restore leaves maintenance on and points at restoring again', () => {
    const facts: CompensationFacts = { ...base, failedStep: 'restore', restore: { state: 'canceled', name: 'r005' } };
    const left = describeLeftState(facts, decideCompensation(facts), {
      stoppedRestore: { cancelled: true, status: 'canceled', processedBytes: 1024 },
      scaledBack: { done: 'worker=1 scheduler=1' },
    });
    expect(left).toMatchObject({ maintenance: 'on', database: 'may be inconsistent' });
    expect(left.statement).toMatch(/restore r005 was stopped at 1024 bytes/);
    expect(left.statement).toMatch(/maintenance left ON because the database may be inconsistent/);
    expect(left.next).toMatch(/^fix the cause, then `runbook retry dr-1` \(it restores b016 again/);
  });

  test('a broken lock: nothing undone, and the next step is to find out who broke it', () => {
    const facts: CompensationFacts = { ...base, lockBroken: true };
    const left = describeLeftState(facts, decideCompensation(facts), {});
    expect(left).toMatchObject({ maintenance: 'on', processes: 'quiet' });
    expect(left.statement).toMatch(/processes left quiet because the app lock was broken/);
    expect(left.next).toMatch(/^find out who broke the lock/);
  });
});
