// Exactly once under worker crashes: the worker process is SIGKILLed after Heroku (the simulator) applied a
// non-idempotent request but before the worker heard back; a new worker takes over. The simulator's record of
// applied side effects must show exactly one backup / restore / dyno, and the run must succeed.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startRunbook, waitForRunbook, type RunbookInput } from '../client/launch';
import type { RunbookId } from '../common/runbooks';
import { startWorkerProcess, waitForExit } from './support/cli';
import { openAccess } from './support/harness';
import { PRODUCTION, STAGING } from './support/harness';
import { TestSimulator } from './support/simulator';
import { pathPattern } from '../simulator/faults';
import { uniqueTaskQueue } from './support/temporal';

let sim: TestSimulator;
let dir: string;
let env: NodeJS.ProcessEnv;
let connection: Connection;
let client: Client;
/** Every worker process a test started: each is stopped by afterAll, whatever happened. */
const workers: ChildProcess[] = [];
let worker: ChildProcess | undefined;

beforeAll(async () => {
  sim = await TestSimulator.start();
  dir = mkdtempSync(path.join(os.tmpdir(), 'crash-'));
  const configFile = path.join(dir, 'environments.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      // Open to anyone (test/identity.test.ts tests who may): the crashes, not the people, are what is tested.
      environments: {
        production: { app: PRODUCTION, access: openAccess('production') },
        // Disaster recovery without approval (confirmed with the app name), with one clear command.
        staging: {
          app: STAGING,
          access: openAccess('staging'),
          disasterRecovery: { clearCommands: ['python manage.py clear_cache'] },
        },
      },
    }),
  );
  env = {
    TEMPORAL_ADDRESS: process.env.RUNBOOK_TEST_TEMPORAL_ADDRESS,
    RUNBOOK_TASK_QUEUE: uniqueTaskQueue('crash'),
    RUNBOOK_WORKFLOW_BUNDLE: process.env.RUNBOOK_TEST_WORKFLOW_BUNDLE,
    RUNBOOK_CONFIG: configFile,
    RUNBOOK_AUDIT_DB: path.join(dir, 'audit.db'),
    RUNBOOK_POLL_INITIAL_MS: '100',
    RUNBOOK_POLL_MAX_MS: '500',
    RUNBOOK_POLL_WATCH_MS: '2000',
    HEROKU_API_URL: sim.url,
    HEROKU_DATA_API_URL: sim.url,
    HEROKU_API_KEY: sim.token,
  };
  connection = await Connection.connect({ address: process.env.RUNBOOK_TEST_TEMPORAL_ADDRESS });
  client = new Client({ connection });
});

afterAll(async () => {
  for (const child of workers) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await waitForExit(child);
  }
  await connection?.close();
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  await sim.reset();
  await sim.control('PUT', 'clock', { speed: 60 });
});

async function newWorker(): Promise<void> {
  worker = (await startWorkerProcess(env)).child;
  workers.push(worker);
}

function alive(child: ChildProcess | undefined): child is ChildProcess {
  return child !== undefined && child.exitCode === null && child.signalCode === null;
}

async function effectsOf(kind: string): Promise<unknown[]> {
  return (await sim.effects()).filter((effect) => effect.kind === kind);
}

/**
 * Holds back Heroku's answer to `path` (after applying it) long enough to kill the worker in between; kills it once
 * the side effect shows in the simulator's record; starts a new worker; returns the run's outcome.
 */
async function crashAfterApply<N extends RunbookId>(
  name: N,
  input: RunbookInput<N>,
  postPath: string,
  kind: string,
  postsPerRun = 1,
) {
  await sim.control('POST', 'faults', {
    method: 'POST',
    path: postPath,
    action: 'apply-then-fail',
    then: 'delay',
    latencyMs: 15_000,
    count: 1,
  });
  if (!alive(worker)) await newWorker();
  const handle = await startRunbook(
    client,
    name,
    { operator: 'crash-test', ...input, timing: { heartbeatTimeoutSeconds: 2 } } as RunbookInput<N>,
    {
      taskQueue: env.RUNBOOK_TASK_QUEUE,
    },
  );
  for (let i = 0; i < 200 && (await effectsOf(kind)).length === 0; i++)
    await new Promise((resolve) => setTimeout(resolve, 50));
  expect(await effectsOf(kind)).toHaveLength(1);
  worker!.kill('SIGKILL');
  await waitForExit(worker!);
  await newWorker();
  const outcome = await waitForRunbook(handle);
  // The new worker adopted what the dead one started: Heroku was asked once (per step that starts one).
  const pattern = pathPattern(postPath);
  expect((await sim.calls()).filter((call) => call.method === 'POST' && pattern.test(call.path))).toHaveLength(
    postsPerRun,
  );
  return outcome;
}

test('capture: a worker killed after Heroku started the backup leaves exactly one backup', async () => {
  const outcome = await crashAfterApply(
    'capture-backup',
    { environment: 'production' },
    '/client/v11/databases/*/backups',
    'backup',
  );
  expect(outcome).toMatchObject({ status: 'succeeded', result: { backup: { name: 'b017', status: 'succeeded' } } });
  expect(await effectsOf('backup')).toHaveLength(1);
});

test('restore: a worker killed after Heroku started the restore leaves exactly one restore', async () => {
  const outcome = await crashAfterApply(
    'restore-backup',
    { environment: 'production', backup: 'b016', confirm: PRODUCTION },
    '/client/v11/databases/*/restores',
    'restore',
  );
  expect(outcome).toMatchObject({
    status: 'succeeded',
    result: { backup: { name: 'b016' }, restore: { status: 'succeeded' } },
  });
  expect(await effectsOf('restore')).toHaveLength(1);
});

test('one-off dyno: a worker killed after Heroku started the dyno leaves exactly one dyno', async () => {
  const outcome = await crashAfterApply(
    'rebuild-search-index',
    { environment: 'production' },
    '/apps/*/dynos',
    'dyno-create',
  );
  expect(outcome).toMatchObject({ status: 'succeeded', result: { dyno: { exitStatus: 0 } } });
  expect(await effectsOf('dyno-create')).toHaveLength(1);
});

describe('disaster recovery: a worker killed mid-run, a new one carries on; still one of each', () => {
  const recovery = { environment: 'staging', backup: 'b010', confirm: STAGING } as const;

  test('killed after Heroku started the restore: one restore, one dyno per command, and the run succeeds', async () => {
    const outcome = await crashAfterApply('disaster-recovery', recovery, '/client/v11/databases/*/restores', 'restore');
    expect(outcome).toMatchObject({ status: 'succeeded', result: { restore: { status: 'succeeded' } } });
    expect(await effectsOf('restore')).toHaveLength(1);
    const commands = ((await effectsOf('dyno-create')) as Array<{ command: string }>).map((dyno) =>
      dyno.command.replace(/ # heroku-runbooks:.*$/, ''),
    );
    expect(commands).toEqual(['python manage.py clear_cache', 'python manage.py rebuild_index --noinput']);
  });

  test('killed after Heroku started a one-off dyno: one dyno per step, and the run succeeds', async () => {
    // The fault holds back the answer to the first dyno start (the clear command's): the new worker adopts that
    // dyno by its step marker, then starts the index rebuild's — two dynos, two requests, one per step.
    const outcome = await crashAfterApply('disaster-recovery', recovery, '/apps/*/dynos', 'dyno-create', 2);
    expect(outcome).toMatchObject({ status: 'succeeded' });
    expect(await effectsOf('restore')).toHaveLength(1);
    expect(await effectsOf('dyno-create')).toHaveLength(2);
  });
});
