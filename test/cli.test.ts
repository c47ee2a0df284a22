import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { approvalQuery } from '../common/messages';
import { Operator } from '../common/search-attributes';
import { SealingKeys } from '../lib/sealing';
import { SEED_PEOPLE } from '../simulator';
import { runCli, startCli, startWorkerProcess, waitForExit } from './support/cli';
import { createTestDatabase } from './support/postgres';
import { TestSimulator } from './support/simulator';
import { uniqueTaskQueue } from './support/temporal';
import { until } from './support/until';

const address = process.env.RUNBOOK_TEST_TEMPORAL_ADDRESS!;
let sim: TestSimulator;
let worker: ChildProcess;
let workerOutput: () => string;
let env: NodeJS.ProcessEnv;
let connection: Connection;
let auditDatabase: Awaited<ReturnType<typeof createTestDatabase>>;
/** The worker's sealing key pair: the private key goes to the worker only, the public one to the CLI. */
const sealingKeys = SealingKeys.generate();

beforeAll(async () => {
  sim = await TestSimulator.start();
  // The worker and `runbook audit` share the audit trail the scale-out way: a real Postgres.
  auditDatabase = await createTestDatabase('runbook_cli_audit');
  env = {
    TEMPORAL_ADDRESS: address,
    RUNBOOK_TASK_QUEUE: uniqueTaskQueue('cli'),
    RUNBOOK_WORKFLOW_BUNDLE: process.env.RUNBOOK_TEST_WORKFLOW_BUNDLE,
    HEROKU_API_URL: sim.url,
    HEROKU_DATA_API_URL: sim.url,
    // The CLI's user: alice, proven by her own Heroku login (the worker runs on the service account's token).
    HEROKU_API_KEY: SEED_PEOPLE.alice.token,
    RUNBOOK_LOG_LEVEL: 'info',
    RUNBOOK_AUDIT_DB: auditDatabase.url,
    // The CLI holds the worker's public key only: it seals --set values, and only the worker can open them.
    RUNBOOK_SEAL_PUBLIC_KEY: sealingKeys.publicKey,
    RUNBOOK_SEAL_KEYS: '',
    // The worker's end reconciler looks every second, not every minute.
    RUNBOOK_RECONCILE_INTERVAL_MS: '1000',
  };
  ({ child: worker, output: workerOutput } = await startWorkerProcess({
    ...env,
    HEROKU_API_KEY: sim.token,
    RUNBOOK_SEAL_KEYS: sealingKeys.privateKey,
    RUNBOOK_SEAL_PUBLIC_KEY: '',
  }));
  connection = await Connection.connect({ address });
});

afterAll(async () => {
  if (worker && worker.exitCode === null) {
    worker.kill('SIGKILL');
    await waitForExit(worker);
  }
  await connection?.close();
  await sim?.close();
  await auditDatabase?.drop();
});

beforeEach(() => sim.reset());

test('runbook list names every runbook', async () => {
  const { code, stdout } = await runCli(['list']);
  expect(code).toBe(0);
  expect(stdout).toMatch(/^maintenance-on\s+Put an app in maintenance mode/m);
  expect(stdout).toMatch(/^maintenance-off\s+/m);
});

test("runbook run <runbook> --help lists the runbook's inputs as flags", async () => {
  const { code, stdout } = await runCli(['run', 'maintenance-on', '--help']);
  expect(code).toBe(0);
  expect(stdout).toContain('Usage: runbook run maintenance-on [options]');
  expect(stdout).toMatch(/--env <name>\s+environment from the runbook config/);
  expect(stdout).toMatch(/--app <name>\s+Heroku app name/);
  expect(stdout).toMatch(/--reason <text>/);
  expect(stdout).not.toMatch(/--operator|--proof/);
});

test('runbook run maintenance-on --env staging: exit 0, says what changed, and the app is in maintenance', async () => {
  const { code, stdout, stderr } = await runCli(['run', 'maintenance-on', '--env', 'staging', '--reason', 'cli test'], {
    ...env,
    RUNBOOK_OPERATOR: 'carol',
  });
  expect({ code, stderr }).toMatchObject({ code: 0 });
  expect(stderr).toMatch(/^Started maintenance-on: maintenance-on\.staging\.\S+ — waiting for it to finish…$/m);
  expect(stderr).not.toContain('no worker is polling');
  expect(stdout).toContain('✔ maintenance-on succeeded');
  expect(stdout).toMatch(
    /Maintenance is ON for csis-reconasia-bravo \(staging\): set MAINTENANCE_MODE on \(release v\d+\)/,
  );
  expect(stdout).toMatch(/Run: http:\/\/127\.0\.0\.1:8233\/namespaces\/default\/workflows\/maintenance-on\.staging\./);
  expect((await sim.api().get('/apps/csis-reconasia-bravo/config-vars')).MAINTENANCE_MODE).toBe('True');

  // Who ran it is the Heroku login's account, proven by the worker; RUNBOOK_OPERATOR is no identity.
  const workflowId = /workflows\/([^/]+)\//.exec(stdout)![1];
  const description = await new Client({ connection }).workflow.getHandle(decodeURIComponent(workflowId)).describe();
  expect(description.typedSearchAttributes.get(Operator)).toBe(SEED_PEOPLE.alice.email);
});

test('runbook audit shows who did what, filtered, as text or JSON', async () => {
  const { stdout: started } = await runCli(['run', 'maintenance-on', '--env', 'staging', '--json'], {
    ...env,
    HEROKU_API_KEY: SEED_PEOPLE.bob.token,
  });
  const { workflowId } = JSON.parse(started);

  const text = await runCli(['audit', '--app', 'csis-reconasia-bravo', '--operator', SEED_PEOPLE.bob.email], env);
  expect(text.code).toBe(0);
  expect(text.stdout).toMatch(/succeeded\s+maintenance-on\s+csis-reconasia-bravo \(staging\)\s+by bob@csis\.example/);
  expect(text.stdout).toContain('set MAINTENANCE_MODE on (release v');
  expect(text.stdout).toContain(workflowId);

  const json = await runCli(['audit', '--workflow-id', workflowId, '--json'], env);
  expect(JSON.parse(json.stdout).map((entry: { event: string }) => entry.event)).toEqual([
    'succeeded',
    'change',
    'intent',
    'started',
  ]);

  const none = await runCli(['audit', '--operator', 'nobody-at-all'], env);
  expect(none.stdout).toMatch(
    /^No audit entries match \(audit log: postgres:\/\/postgres@127\.0\.0\.1:5432\/runbook_cli_audit_\w+\)\./,
  );

  const bad = await runCli(['audit', '--since', 'last tuesday'], env);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/--since.*expected a date or time/);
});

test('on the Postgres trail: history, show, export and verify read what the worker wrote', async () => {
  const { stdout: started } = await runCli(['run', 'maintenance-on', '--env', 'staging', '--json'], {
    ...env,
    HEROKU_API_KEY: SEED_PEOPLE.bob.token,
  });
  const { workflowId } = JSON.parse(started);
  const history = await runCli(['history', '--app', 'csis-reconasia-bravo', '--json'], env);
  expect(history.code).toBe(0);
  expect(JSON.parse(history.stdout)).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ workflowId, runbook: 'maintenance-on', outcome: expect.stringMatching(/^succeeded/) }),
    ]),
  );
  const shown = await runCli(['show', workflowId], env);
  expect(shown.code).toBe(0);
  expect(shown.stdout).toMatch(/set MAINTENANCE_MODE on \(release v\d+\)\n.*↳ Request-Id [0-9a-f-]{36}/);
  const exported = await runCli(['audit', 'export'], env);
  expect(exported.code).toBe(0);
  expect(exported.stderr).toMatch(/audit records \(jsonl\), verified/);
  expect(exported.stdout).toContain(workflowId);
  const verified = await runCli(['audit', 'verify'], env);
  expect({ code: verified.code, stdout: verified.stdout }).toMatchObject({ code: 0 });
  expect(verified.stdout).toMatch(/The audit trail postgres:\/\/.* is intact/);
});

test('--json prints the outcome as one JSON document; --app works as well as --env', async () => {
  const { code, stdout } = await runCli(['run', 'maintenance-off', '--app', 'csis-reconasia-bravo', '--json'], env);
  expect(code).toBe(0);
  const outcome = JSON.parse(stdout);
  expect(outcome).toMatchObject({
    runbook: 'maintenance-off',
    status: 'succeeded',
    result: {
      app: 'csis-reconasia-bravo',
      environment: 'staging',
      maintenance: 'off',
      changed: false,
      operator: SEED_PEOPLE.alice.email,
    },
  });
  expect(outcome.workflowId).toMatch(/^maintenance-off\.csis-reconasia-bravo\./);
});

test("a failing runbook exits 1 with Heroku's reason and what to do", async () => {
  const { code, stdout } = await runCli(['run', 'maintenance-on', '--app', 'no-such-app-here'], env);
  expect(code).toBe(1);
  expect(stdout).toContain('✘ maintenance-on failed (HerokuNotFound)');
  expect(stdout).toContain("Couldn't find that app");
});

test('bad flags exit 2 naming the flag, and nothing reaches Heroku', async () => {
  const badApp = await runCli(['run', 'maintenance-on', '--app', 'Bad_App'], env);
  expect(badApp.code).toBe(2);
  expect(badApp.stderr).toMatch(/Invalid flags for maintenance-on: --app: must be a Heroku app name/);

  const noTarget = await runCli(['run', 'maintenance-on'], env);
  expect(noTarget.code).toBe(2);
  expect(noTarget.stderr).toMatch(/--env: give an environment/);

  const unknown = await runCli(['run', 'restart-everything', '--env', 'staging'], env);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toMatch(/Unknown runbook "restart-everything". Runbooks: maintenance-on, maintenance-off/);

  const unknownFlag = await runCli(['run', 'maintenance-on', '--environment', 'staging'], env);
  expect(unknownFlag.code).toBe(2);
  expect(unknownFlag.stderr).toMatch(/unknown option '--environment'/);

  expect(await sim.calls()).toEqual([]);
});

test('a malformed --set pair exits 2 naming --set and KEY=value, and never repeats what was typed', async () => {
  // A forgotten key, a forgotten "=", a pasted token: what follows --set may be a secret.
  for (const typed of ['SECRET_TOKEN', '=s3cr3t-value-typed', 'pk.live-0123456789abcdef']) {
    const { code, stdout, stderr } = await runCli(['run', 'set-config-vars', '--env', 'staging', '--set', typed], env);
    expect({ typed, code }).toEqual({ typed, code: 2 });
    expect(stderr).toContain('--set takes KEY=value');
    expect(stdout + stderr).not.toContain(typed.replace(/^=/, ''));
  }
  expect(await sim.calls()).toEqual([]);
});

test('with no worker on the task queue the CLI says so; Ctrl-C stops the waiting, not the run', async () => {
  const lonelyQueue = uniqueTaskQueue('no-worker');
  const { child, stderr } = await startCli(
    ['run', 'maintenance-on', '--env', 'staging'],
    { ...env, RUNBOOK_TASK_QUEUE: lonelyQueue },
    /no worker is polling/,
  );
  expect(stderr()).toContain(`Warning: no worker is polling task queue "${lonelyQueue}"`);
  child.kill('SIGINT');
  const { code } = await waitForExit(child);
  expect(code).toBe(130);
  expect(stderr()).toMatch(
    /Stopped waiting\. maintenance-on goes on in Temporal: `runbook status maintenance-on\.staging\.\S+`, http:\/\/127\.0\.0\.1:8233\/namespaces\/default\/workflows\//,
  );
  const workflowId = /Started maintenance-on: (\S+)/.exec(stderr())![1];
  const handle = new Client({ connection }).workflow.getHandle(workflowId);
  expect((await handle.describe()).status.name).toBe('RUNNING');
  // `runbook status` says why it does not advance, at once (a query would wait for a worker that never comes).
  const status = await runCli(['status', workflowId], { ...env, RUNBOOK_TASK_QUEUE: lonelyQueue });
  expect(status.code).toBe(0);
  expect(status.stdout).toContain(
    `No worker polls task queue "${lonelyQueue}", so its steps cannot be read and it does not advance`,
  );
  await handle.terminate('test cleanup: no worker was meant to run it');
});

test('every kind of runbook runs from the CLI: backup, restore (with --confirm), scaling, sealed config values', async () => {
  await sim.control('PUT', 'clock', { speed: 60 });
  const capture = await runCli(['run', 'capture-backup', '--env', 'production', '--json'], env);
  expect(capture.code).toBe(0);
  expect(JSON.parse(capture.stdout)).toMatchObject({
    status: 'succeeded',
    result: { backup: { name: 'b017', status: 'succeeded' } },
  });

  const unconfirmed = await runCli(['run', 'restore-backup', '--env', 'production', '--backup', 'b016'], env);
  expect(unconfirmed.code).toBe(2);
  expect(unconfirmed.stderr).toContain('--confirm: give the app name to confirm: restoring replaces its database');
  // On production a restore waits for a second person: bob approves it with his own login.
  const restoring = await runCli(
    [
      'run',
      'restore-backup',
      '--env',
      'production',
      '--backup',
      'b016',
      '--confirm',
      'csis-reconasia-alfa',
      '--no-wait',
      '--json',
    ],
    env,
  );
  expect(restoring.code).toBe(0);
  const restoreId = JSON.parse(restoring.stdout).workflowId as string;
  const restoreRun = new Client({ connection }).workflow.getHandle(restoreId);
  await until(
    () => restoreRun.query(approvalQuery),
    (approval) => approval.status === 'waiting',
    'the restore to wait for approval',
  );
  const approved = await runCli(['approve', restoreId, '--yes'], { ...env, HEROKU_API_KEY: SEED_PEOPLE.bob.token });
  expect({ code: approved.code, stderr: approved.stderr }).toMatchObject({ code: 0 });
  expect(approved.stdout).toMatch(
    /^restore-backup on csis-reconasia-alfa \(production\), requested by alice@csis\.example/m,
  );
  expect(approved.stdout).toMatch(/approved by bob@csis\.example\. The run goes on/);
  const restored = (await restoreRun.result()) as { summary: string };
  expect(restored.summary).toMatch(/Restored b016 into csis-reconasia-alfa's DATABASE_URL \(r\d{3}\)/);

  const scale = await runCli(
    ['run', 'scale-dynos', '--env', 'staging', '--process', 'worker=0', '--process', 'web=2:Standard-2X'],
    env,
  );
  expect(scale.code).toBe(0);
  expect(scale.stdout).toContain('Scaled csis-reconasia-bravo: web=2:Standard-2X worker=0:Standard-1X');

  const set = await runCli(
    ['run', 'set-config-vars', '--env', 'staging', '--set', 'MAPBOX_TOKEN=pk.from-the-cli', '--json'],
    env,
  );
  expect(set.code).toBe(0);
  expect(set.stdout).not.toContain('pk.from-the-cli');
  expect(JSON.parse(set.stdout).result.set).toEqual(['MAPBOX_TOKEN']);
  expect((await sim.api().get('/apps/csis-reconasia-bravo/config-vars')).MAPBOX_TOKEN).toBe('pk.from-the-cli');
  // Sealed for the run's own ID when it is given, too.
  const ownId = `cli-sealed-${randomBytes(4).toString('hex')}`;
  const withId = await runCli(
    ['run', 'set-config-vars', '--env', 'staging', '--set', 'SENTRY_DSN=https://k@sentry/1', '--workflow-id', ownId],
    env,
  );
  expect({ code: withId.code, stderr: withId.stderr }).toMatchObject({ code: 0 });
  expect((await sim.api().get('/apps/csis-reconasia-bravo/config-vars')).SENTRY_DSN).toBe('https://k@sentry/1');
  const noKey = await runCli(['run', 'set-config-vars', '--env', 'staging', '--set', 'A=b'], {
    ...env,
    RUNBOOK_SEAL_PUBLIC_KEY: '',
  });
  expect(noKey.code).toBe(2);
  expect(noKey.stderr).toContain("--set needs the worker's public key: RUNBOOK_SEAL_PUBLIC_KEY is not set");
});

test('a run terminated in Temporal gets its end in the trail from the worker process, with who terminated it and why', async () => {
  const launched = await runCli(
    ['run', 'disaster-recovery', '--env', 'production', '--backup', 'b016', '--no-wait', '--json'],
    env,
  );
  expect(launched.code).toBe(0);
  const { workflowId } = JSON.parse(launched.stdout);
  const events = async () =>
    (
      JSON.parse((await runCli(['audit', '--workflow-id', workflowId, '--json'], env)).stdout) as Array<{
        event: string;
        summary: string;
        operator: string;
      }>
    ).reverse();
  await until(events, (trail) => trail.some((entry) => entry.event === 'approval'), 'the plan on the record', 60_000);
  await new Client({ connection }).workflow.getHandle(workflowId).terminate('cli test: an abandoned drill');
  const trail = await until(
    events,
    (entries) => entries.some((entry) => entry.event === 'ended'),
    'the worker to record the end',
    60_000,
  );
  expect(trail.at(-1)).toMatchObject({
    event: 'ended',
    operator: SEED_PEOPLE.alice.email,
    summary: expect.stringMatching(
      /^disaster-recovery was terminated in Temporal by .+: cli test: an abandoned drill, at \S+\. It wrote no end of its own, so how it left csis-reconasia-alfa is not known/,
    ),
  });
});

test('the worker refuses to start without HEROKU_API_KEY or with an invalid config, saying which', async () => {
  const noKey = await runCli(['worker'], { ...env, HEROKU_API_KEY: '' });
  expect(noKey.code).toBe(1);
  expect(noKey.stderr).toMatch(/HEROKU_API_KEY is not set/);

  const dir = mkdtempSync(path.join(os.tmpdir(), 'runbook-config-'));
  try {
    const file = path.join(dir, 'environments.json');
    writeFileSync(
      file,
      JSON.stringify({
        environments: { staging: { app: 'csis-reconasia-bravo', maintenance: { strategy: 'router' } } },
      }),
    );
    const badConfig = await runCli(['worker'], { ...env, RUNBOOK_CONFIG: file });
    expect(badConfig.code).toBe(1);
    expect(badConfig.stderr).toMatch(
      /Invalid runbook config .*environments\.json: environments\.staging\.maintenance\.strategy:/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('runbook keys generate makes a pair; runbook keys public prints the public key where RUNBOOK_SEAL_KEYS is', async () => {
  const generated = await runCli(['keys', 'generate'], { RUNBOOK_SEAL_KEYS: '' });
  expect(generated.code).toBe(0);
  const privateKey = /RUNBOOK_SEAL_KEYS=(rbsk1_[A-Za-z0-9_-]{43})$/m.exec(generated.stdout)![1];
  const publicKey = /RUNBOOK_SEAL_PUBLIC_KEY=(rbpk1_[A-Za-z0-9_-]{43})$/m.exec(generated.stdout)![1];
  expect(generated.stdout).toMatch(/put the new private key FIRST in RUNBOOK_SEAL_KEYS, keep the old ones after it/);
  const json = await runCli(['keys', 'generate', '--json']);
  expect(JSON.parse(json.stdout)).toEqual({
    privateKey: expect.stringMatching(/^rbsk1_/),
    publicKey: expect.stringMatching(/^rbpk1_/),
    keyId: expect.stringMatching(/^[0-9a-f]{8}$/),
  });

  // Newest first: the public key is the first key's; the older one is listed as kept.
  const older = JSON.parse(json.stdout) as { privateKey: string; keyId: string };
  const shown = await runCli(['keys', 'public'], { RUNBOOK_SEAL_KEYS: `${privateKey},${older.privateKey}` });
  expect(shown.code).toBe(0);
  expect(shown.stdout).toBe(`${publicKey}\n`);
  expect(shown.stderr).toContain(`older keys kept to open runs sealed before: ${older.keyId}`);
  expect(shown.stdout + shown.stderr).not.toContain(privateKey);

  const none = await runCli(['keys', 'public'], { RUNBOOK_SEAL_KEYS: '' });
  expect(none.code).toBe(2);
  expect(none.stderr).toContain(
    "RUNBOOK_SEAL_KEYS is not set: run `runbook keys public` where the worker's private keys are",
  );
  const misplaced = await runCli(['keys', 'public'], { RUNBOOK_SEAL_KEYS: publicKey });
  expect(misplaced.code).toBe(2);
  expect(misplaced.stderr).toContain('RUNBOOK_SEAL_KEYS: key 1 of 1 is a public key (rbpk1_…)');
});

test('the worker refuses a malformed RUNBOOK_SEAL_KEYS, naming it, never printing it', async () => {
  const broken = `${SealingKeys.generate().privateKey.slice(0, -3)}`;
  const refused = await runCli(['worker'], { ...env, RUNBOOK_SEAL_KEYS: broken });
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(/RUNBOOK_SEAL_KEYS: key 1 of 1 is not a private sealing key: expected rbsk1_/);
  expect(refused.stdout + refused.stderr).not.toContain(broken);
  expect(refused.stdout + refused.stderr).not.toContain('worker ready');
});

test('no token and no config value in the worker log, the CLI output or the audit trail; every proof was revoked', async () => {
  const run = await runCli(
    ['run', 'set-config-vars', '--env', 'staging', '--set', 'SCAN_ME=plain-value-9f31', '--json'],
    env,
  );
  expect(run.code).toBe(0);
  const { workflowId } = JSON.parse(run.stdout) as { workflowId: string };
  const trail = await runCli(['audit', '--since', '2000-01-01', '--json'], env);
  const history = await new Client({ connection }).workflow.getHandle(workflowId).fetchHistory();
  const everything = [workerOutput(), run.stdout, run.stderr, trail.stdout, JSON.stringify(history)].join('\n');
  // The people's logins, the worker's token and its private key, and the value set: nowhere.
  for (const secret of [
    ...Object.values(SEED_PEOPLE).map((p) => p.token),
    sim.token,
    sealingKeys.privateKey,
    'plain-value-9f31',
  ])
    expect(everything).not.toContain(secret);
  // The proofs' short-lived tokens (HRKU-…) appear nowhere in the clear; and each one the people were given is revoked.
  expect(everything).not.toMatch(/HRKU-/);
  for (const person of Object.values(SEED_PEOPLE)) {
    const response = await fetch(`${sim.url}/oauth/authorizations`, {
      headers: { Authorization: `Bearer ${person.token}`, Accept: 'application/vnd.heroku+json; version=3' },
    });
    const live = ((await response.json()) as { description?: string; access_token?: { expires_in?: number } }[]).filter(
      (authorization) =>
        /^heroku-runbooks:/.test(authorization.description ?? '') && authorization.access_token?.expires_in !== 0,
    );
    expect(live).toEqual([]);
  }
});

test('the worker stops cleanly on SIGTERM', async () => {
  worker.kill('SIGTERM');
  const { code } = await waitForExit(worker);
  expect(code).toBe(0);
  expect(workerOutput()).toContain('worker stopped');
});
