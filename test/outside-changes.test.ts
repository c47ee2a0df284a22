// Changes made outside the engine — by hand with the official Heroku CLI — are found on Heroku and recorded in the
// audit trail, each once however often the reconciler runs (the CLI's `runbook audit reconcile`, the worker's
// Schedule, two workers); the engine's own changes are not reported as outside ones. Effects are read from the
// simulator; the trail from its SQLite file.
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { AuditEntry } from '../common/audit';
import type { ReconcileOutsideChangesResult } from '../common/outside-changes';
import { engineArtefacts } from '../activities/outside-changes';
import { SqliteAuditLog } from '../lib/audit/sqlite-audit-log';
import { SealingKeys } from '../lib/sealing';
import { ACCOUNT_EMAIL, SEED_PEOPLE } from '../simulator';
import { outsideChangesScheduleId } from '../worker/outside-changes-schedule';
import { runCli, startWorkerProcess, waitForExit } from './support/cli';
import { STAGING } from './support/harness';
import { TestSimulator } from './support/simulator';
import { uniqueTaskQueue } from './support/temporal';
import { until } from './support/until';
import { herokuCli } from '../scripts/official-heroku-cli';

const address = process.env.RUNBOOK_TEST_TEMPORAL_ADDRESS!;
const sealingKeys = SealingKeys.generate();
const taskQueue = uniqueTaskQueue('outside-changes');
const scheduleId = outsideChangesScheduleId(taskQueue);
let sim: TestSimulator;
let workers: ChildProcess[] = [];
let connection: Connection;
let client: Client;
let trail: SqliteAuditLog;
let env: NodeJS.ProcessEnv;

/** The official Heroku CLI against the simulator, as one of its people (or the engine's own service account). */
async function heroku(args: string[], token: string): Promise<string> {
  const { code, stdout, stderr } = await herokuCli(sim, args, { env: { HEROKU_API_KEY: token } });
  if (code !== 0) throw new Error(`heroku ${args.join(' ')} exited ${code}: ${stderr}`);
  return stdout + stderr;
}

async function reconcile(...args: string[]): Promise<string> {
  const { code, stdout, stderr } = await runCli(['audit', 'reconcile', ...args], env);
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  return stdout;
}

async function outsideChanges(): Promise<AuditEntry[]> {
  return (await trail.query({ runbook: 'outside-change', limit: 10_000 })).filter(
    (entry) => entry.event === 'outside-change',
  );
}

beforeAll(async () => {
  sim = await TestSimulator.start();
  // Backups and restores finish by the official CLI's first poll.
  await sim.control('PUT', 'data-api', { transferPendingMs: 0, transferBytesPerSecond: 1e9 });
  const auditDb = path.join(process.env.RUNBOOK_TEST_DIR!, `outside-changes-${randomUUID()}.db`);
  trail = new SqliteAuditLog(auditDb, { busyTimeoutMs: 100 });
  env = {
    TEMPORAL_ADDRESS: address,
    RUNBOOK_TASK_QUEUE: taskQueue,
    RUNBOOK_WORKFLOW_BUNDLE: process.env.RUNBOOK_TEST_WORKFLOW_BUNDLE,
    HEROKU_API_URL: sim.url,
    HEROKU_DATA_API_URL: sim.url,
    HEROKU_API_KEY: SEED_PEOPLE.alice.token,
    RUNBOOK_AUDIT_DB: auditDb,
    RUNBOOK_SEAL_PUBLIC_KEY: sealingKeys.publicKey,
    RUNBOOK_SEAL_KEYS: '',
  };
  // Two workers starting at once: both make (or find, and update) the one Schedule of their task queue.
  const started = await Promise.all(
    [1, 2].map(() =>
      startWorkerProcess({
        ...env,
        HEROKU_API_KEY: sim.token,
        RUNBOOK_SEAL_KEYS: sealingKeys.privateKey,
        RUNBOOK_SEAL_PUBLIC_KEY: '',
        // It exists, but the test triggers it rather than wait an hour.
        RUNBOOK_OUTSIDE_CHANGES_EVERY: '1h',
      }),
    ),
  );
  workers = started.map((worker) => worker.child);
  connection = await Connection.connect({ address });
  client = new Client({ connection });
});

afterAll(async () => {
  await client?.schedule
    .getHandle(scheduleId)
    .delete()
    .catch(() => undefined);
  for (const worker of workers) {
    if (worker.exitCode === null) {
      worker.kill('SIGKILL');
      await waitForExit(worker);
    }
  }
  await connection?.close();
  await sim?.close();
  await trail?.close();
});

test('the worker made one Schedule for its task queue: every RUNBOOK_OUTSIDE_CHANGES_EVERY, overlap SKIP', async () => {
  const description = await client.schedule.getHandle(scheduleId).describe();
  expect(description.spec.intervals).toEqual([expect.objectContaining({ every: 3_600_000 })]);
  expect(description.policies.overlap).toBe('SKIP');
  expect(description.action).toMatchObject({
    type: 'startWorkflow',
    workflowType: 'reconcileOutsideChanges',
    taskQueue,
  });
});

test('the first look is a baseline: old releases are out of the window, the formation is recorded, not reported', async () => {
  expect(await reconcile('--app', STAGING)).toBe('no outside changes\n');
  const baseline = await trail.query({ workflowId: `outside-changes:${STAGING}` });
  expect(baseline).toEqual([
    expect.objectContaining({
      runId: 'formation-baseline',
      event: 'notice',
      summary: expect.stringMatching(/^first look at csis-reconasia-bravo's formation: .*web=1:Standard-1X/),
    }),
  ]);
  expect(await outsideChanges()).toEqual([]);
});

test("bob's config:set by hand is an outside change by bob, recorded once however often it is looked for", async () => {
  await heroku(['config:set', 'FOO=bar', '-a', STAGING], SEED_PEOPLE.bob.token);
  const release = (await sim.effects()).find((e) => e.kind === 'release' && e.actor === SEED_PEOPLE.bob.email)!;
  expect(release).toMatchObject({ app: STAGING, description: 'Set FOO config vars' });

  const first = await reconcile('--app', STAGING);
  expect(first).toBe(
    `${STAGING}  outside change by bob@csis.example: release v${release.version} "Set FOO config vars"\n`,
  );
  expect(await reconcile('--app', STAGING)).toBe(
    'no new outside changes (1 already on record: `runbook audit --runbook outside-change`)\n',
  );
  await reconcile(); // every configured app

  // A pass the Schedule starts finds it on record too.
  const schedule = client.schedule.getHandle(scheduleId);
  await schedule.trigger();
  const action = await until(
    () => schedule.describe(),
    (description) => description.info.recentActions.length > 0,
    'the Schedule to start a pass',
  );
  const { workflowId, firstExecutionRunId } = action.info.recentActions[0].action.workflow;
  const scheduled = (await client.workflow
    .getHandle(workflowId, firstExecutionRunId)
    .result()) as ReconcileOutsideChangesResult;
  expect(scheduled.recorded).toEqual([]);
  expect(scheduled.apps.map((app) => app.app).sort()).toEqual(['csis-reconasia-alfa', STAGING]);

  const recorded = await outsideChanges();
  expect(recorded).toEqual([
    expect.objectContaining({
      workflowId: `outside-changes:${STAGING}`,
      runId: `release:${release.id}`,
      seq: 0,
      runbook: 'outside-change',
      event: 'outside-change',
      operator: SEED_PEOPLE.bob.email,
      app: STAGING,
      environment: 'staging',
      details: expect.objectContaining({
        kind: 'release',
        release: expect.objectContaining({ id: release.id, version: release.version }),
      }),
    }),
  ]);
  // `runbook audit` shows it under bob.
  const listed = await runCli(['audit', '--operator', SEED_PEOPLE.bob.email], env);
  expect(listed.stdout).toMatch(
    /outside-change\s+outside-change\s+csis-reconasia-bravo \(staging\)\s+by bob@csis\.example/,
  );
  // And `runbook history` has it on a line of its own, once, under bob.
  const history = await runCli(['history', '--app', STAGING, '--operator', SEED_PEOPLE.bob.email], env);
  expect(history.code).toBe(0);
  const lines = history.stdout.split('\n').filter((line) => line.includes(`release v${release.version}`));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain('outside change by bob@csis.example');
});

test("the engine's own changes through runbooks are not outside changes", async () => {
  const before = (await sim.effects()).length;
  for (const args of [
    ['run', 'maintenance-on', '--env', 'staging'],
    ['run', 'set-config-vars', '--env', 'staging', '--set', 'BAZ=runbook-value'],
    ['run', 'scale-dynos', '--env', 'staging', '--process', 'worker=2'],
    ['run', 'capture-backup', '--env', 'staging'],
  ]) {
    const { code, stdout } = await runCli(args, env);
    expect({ args, code, stdout }).toMatchObject({ code: 0 });
  }
  const made = (await sim.effects()).slice(before);
  expect(made.filter((e) => e.kind === 'release')).toHaveLength(2);
  expect(made.filter((e) => e.kind === 'formation')).toHaveLength(1);
  expect(made.filter((e) => e.kind === 'backup')).toHaveLength(1);

  expect(await reconcile('--app', STAGING)).toBe(
    'no new outside changes (1 already on record: `runbook audit --runbook outside-change`)\n',
  );
  expect(await outsideChanges()).toHaveLength(1);
});

test('a scale, a backup and a restore by hand, and a release with the engine’s own key, are each recorded once', async () => {
  await heroku(['ps:scale', 'web=3', '-a', STAGING], SEED_PEOPLE.alice.token);
  await heroku(['pg:backups:capture', '-a', STAGING], SEED_PEOPLE.bob.token);
  const backup = (await sim.effects()).filter((e) => e.kind === 'backup').at(-1)!;
  await heroku(['pg:backups:restore', String(backup.name), '--confirm', STAGING, '-a', STAGING], SEED_PEOPLE.bob.token);
  const restore = (await sim.effects()).filter((e) => e.kind === 'restore').at(-1)!;
  // Someone with the worker's own token: the release names the engine's account, but no runbook made it.
  await heroku(['config:set', 'SECRET_TOKEN=s3cr3t-typed-by-hand', '-a', STAGING], sim.token);

  const found = (await reconcile('--app', STAGING)).trim().split('\n');
  expect(found.sort()).toEqual(
    [
      `${STAGING}  outside change: web scaled 1→3 Standard-1X`,
      `${STAGING}  outside change: backup ${backup.name} of DATABASE captured by hand`,
      `${STAGING}  outside change: restore of ${backup.name} into DATABASE started (${restore.name})`,
      expect.stringMatching(
        new RegExp(
          `^${STAGING}  outside change by ${ACCOUNT_EMAIL.replace('.', '\\.')} \\(the engine's own account, but no runbook made it: someone used its API key\\): release v\\d+ "Set SECRET_TOKEN config vars"$`,
        ),
      ),
    ].sort(),
  );
  await reconcile('--app', STAGING);
  await reconcile();

  const recorded = await outsideChanges();
  expect(recorded.map((entry) => entry.details.kind).sort()).toEqual([
    'formation',
    'release',
    'release',
    'transfer',
    'transfer',
  ]);
  expect(recorded.map((entry) => entry.runId)).toEqual(
    expect.arrayContaining([`transfer:${backup.uuid}`, `transfer:${restore.uuid}`]),
  );
  const scale = recorded.find((entry) => entry.details.kind === 'formation')!;
  expect(scale).toMatchObject({
    operator: 'unknown (Heroku does not say who)',
    runId: expect.stringMatching(/^formation:web:/),
    details: { before: { quantity: 1, knownFrom: 'observation' }, after: { quantity: 3, size: 'Standard-1X' } },
  });
});

test('a one-off dyno started by hand is recorded once, with its command', async () => {
  await sim.control('POST', 'dyno-outcomes', { pattern: 'manage.py shell', durationSeconds: 3600 });
  await heroku(['run:detached', '-a', STAGING, '--', 'python', 'manage.py', 'shell'], SEED_PEOPLE.bob.token);
  const dyno = (await sim.effects()).filter((e) => e.kind === 'dyno-create').at(-1)!;
  expect(await reconcile('--app', STAGING)).toBe(
    `${STAGING}  outside change: one-off dyno ${dyno.name} \`python manage.py shell\`\n`,
  );
  await reconcile('--app', STAGING);
  expect((await outsideChanges()).filter((entry) => entry.runId === `dyno:${dyno.id}`)).toHaveLength(1);
});

test("the engine's own one-off dyno, running while the reconciler looks, is not an outside change", async () => {
  await sim.control('POST', 'dyno-outcomes', { pattern: 'rebuild_index', durationSeconds: 3600 });
  const { stdout } = await runCli(['run', 'rebuild-search-index', '--env', 'staging', '--no-wait', '--json'], env);
  const { workflowId } = JSON.parse(stdout);
  const started = await until(
    () => trail.query({ workflowId }),
    (entries) => entries.some((e) => e.event === 'change' && e.details.activity === 'startOneOffDyno'),
    'the runbook to record the dyno it started',
  );
  const dyno = started.find((e) => e.event === 'change')!.details.dyno as string;
  expect((await sim.api().get(`/apps/${STAGING}/dynos/${dyno}`)).name).toBe(dyno);
  const recordedBefore = (await outsideChanges()).length;
  expect(await reconcile('--app', STAGING)).toMatch(/^no new outside changes/);
  expect(await outsideChanges()).toHaveLength(recordedBefore);
  await runCli(['cancel', workflowId], env);
});

test('two reconcilers at once record a new change once', async () => {
  await heroku(['config:unset', 'FOO', '-a', STAGING], SEED_PEOPLE.bob.token);
  const outputs = await Promise.all([reconcile('--app', STAGING), reconcile('--app', STAGING), reconcile()]);
  const lines = outputs
    .join('')
    .split('\n')
    .filter((line) => line.includes('"Remove FOO config vars"'));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/outside change by bob@csis\.example: release v\d+ "Remove FOO config vars"$/);
  expect((await outsideChanges()).filter((e) => e.summary.includes('Remove FOO'))).toHaveLength(1);
});

test("a run cannot take the outside changes' workflow ID: refused before anything, the outside changes untouched", async () => {
  const before = await outsideChanges();
  const handle = await client.workflow.start('maintenanceOn', {
    args: [{ environment: 'staging' }],
    taskQueue,
    workflowId: `outside-changes:${STAGING}`,
    workflowIdConflictPolicy: 'TERMINATE_EXISTING',
  });
  await expect(handle.result()).rejects.toMatchObject({
    cause: expect.objectContaining({
      type: 'InvalidRunbookInput',
      message: expect.stringContaining('which the audit trail keeps for changes made outside the engine'),
    }),
  });
  expect(await outsideChanges()).toEqual(before);
});

test('no config-var value is anywhere in the trail', async () => {
  const everything = JSON.stringify(await trail.query({ limit: 10_000 }));
  expect(everything).toContain('Set FOO config vars');
  expect(everything).not.toMatch(/\bbar\b/);
  expect(everything).not.toContain('s3cr3t-typed-by-hand');
  expect(everything).not.toContain('runbook-value');
});

test('--app must be a configured app: exit 2, nothing recorded', async () => {
  const before = await trail.query({ limit: 10_000 });
  const { code, stderr } = await runCli(['audit', 'reconcile', '--app', 'some-other-app'], env);
  expect(code).toBe(2);
  expect(stderr).toMatch(/some-other-app is not an app of .*: the reconciler looks only at the configured apps/);
  expect(await trail.query({ limit: 10_000 })).toEqual(before);
});

describe('what the engine did, from its records (no Heroku)', () => {
  const now = Date.parse('2026-12-01T12:00:00Z');
  const entry = (fields: Partial<AuditEntry>): AuditEntry => ({
    workflowId: 'maintenance-on.staging.x',
    runId: 'run-1',
    seq: 0,
    at: '2026-12-01T11:59:00.000Z',
    runbook: 'maintenance-on',
    event: 'intent',
    operator: 'alice@csis.example',
    app: STAGING,
    environment: 'staging',
    summary: 'about to set MAINTENANCE_MODE=True on csis-reconasia-bravo',
    details: {},
    ...fields,
  });

  test('an intent without its outcome, in a run that has not ended, is a change in flight', () => {
    expect(engineArtefacts([entry({})], STAGING, now).inFlight).toMatch(
      /^maintenance-on maintenance-on\.staging\.x is changing the app \(about to set MAINTENANCE_MODE/,
    );
    // Its outcome, a later notice in between, or the run's end: not in flight.
    const outcome = entry({ seq: 2, event: 'change', details: { activity: 'setMaintenanceConfigVar' } });
    const notice = entry({ seq: 1, event: 'notice' });
    expect(engineArtefacts([outcome, notice, entry({})], STAGING, now).inFlight).toBeNull();
    expect(engineArtefacts([notice, entry({})], STAGING, now).inFlight).not.toBeNull();
    expect(engineArtefacts([entry({ seq: 1, event: 'ended' }), entry({})], STAGING, now).inFlight).toBeNull();
    // An intent more than an hour old, or on another app, does not hold the app up.
    expect(engineArtefacts([entry({ at: '2026-12-01T10:00:00.000Z' })], STAGING, now).inFlight).toBeNull();
    expect(engineArtefacts([entry({ app: 'csis-reconasia-alfa' })], STAGING, now).inFlight).toBeNull();
  });

  test('a restore is the engine’s by the restore it started, not by the backup it restored', () => {
    const restore = entry({
      seq: 5,
      event: 'change',
      runbook: 'restore-backup',
      details: {
        activity: 'startRestore',
        outcome: 'done',
        backup: 'b017',
        restore: 'r003',
        transfer: { uuid: 'uuid-r003', num: 3, name: 'r003' },
      },
    });
    const engine = engineArtefacts([restore], STAGING, now);
    expect([...engine.transferUuids]).toEqual(['uuid-r003']);
    expect([...engine.transferNames]).toEqual(['r003']);
  });

  test('releases from config-var and maintenance records; formation from scale records, the latest per type', () => {
    const engine = engineArtefacts(
      [
        entry({
          seq: 3,
          event: 'change',
          at: '2026-12-01T11:58:00.000Z',
          details: {
            activity: 'scaleFormation',
            outcome: 'done',
            formation: [{ type: 'web', quantity: 2, size: 'Standard-1X' }],
          },
        }),
        entry({
          seq: 2,
          event: 'change',
          at: '2026-12-01T11:57:00.000Z',
          details: {
            activity: 'scaleFormation',
            outcome: 'done',
            formation: [{ type: 'web', quantity: 5, size: 'Standard-1X' }],
          },
        }),
        entry({ seq: 1, event: 'change', details: { change: { release: { id: 'rel-m', version: 40 } } } }),
        entry({ seq: 0, event: 'change', details: { release: { id: 'rel-c', version: 41 } } }),
      ],
      STAGING,
      now,
    );
    expect([...engine.releaseIds].sort()).toEqual(['rel-c', 'rel-m']);
    expect(engine.formation.get('web')).toMatchObject({ quantity: 2, from: 'engine' });
  });
});
