// Real runbooks through two real `runbook worker` processes on one token, under a budget as tight as Heroku's
// (the simulator's) limit: they share it through the audit database, every run succeeds, and Heroku never
// answers 429. A disaster recovery watches its restore and dynos (heartbeating activities) while it waits.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startRunbook, waitForRunbook } from '../client/launch';
import { startWorkerProcess, waitForExit } from './support/cli';
import { openAccess, PRODUCTION, STAGING } from './support/harness';
import { TestSimulator } from './support/simulator';
import { uniqueTaskQueue } from './support/temporal';

/** Heroku's limit, shrunk: 10 requests, then 5 a second. */
const LIMIT = { capacity: 10, refillPerMinute: 300 };

let sim: TestSimulator;
let dir: string;
let connection: Connection;
let client: Client;
let taskQueue: string;
const workers: ChildProcess[] = [];

beforeAll(async () => {
  sim = await TestSimulator.start({ rateLimit: LIMIT });
  await sim.control('PUT', 'clock', { speed: 60 });
  dir = mkdtempSync(path.join(os.tmpdir(), 'api-budget-workers-'));
  const config = path.join(dir, 'environments.json');
  writeFileSync(
    config,
    JSON.stringify({
      environments: {
        production: { app: PRODUCTION, access: openAccess('production') },
        staging: {
          app: STAGING,
          access: openAccess('staging'),
          disasterRecovery: { clearCommands: ['python manage.py clear_cache'] },
        },
      },
    }),
  );
  taskQueue = uniqueTaskQueue('api-budget');
  const env = {
    TEMPORAL_ADDRESS: process.env.RUNBOOK_TEST_TEMPORAL_ADDRESS,
    RUNBOOK_TASK_QUEUE: taskQueue,
    RUNBOOK_WORKFLOW_BUNDLE: process.env.RUNBOOK_TEST_WORKFLOW_BUNDLE,
    RUNBOOK_CONFIG: config,
    RUNBOOK_LOCK_PREFIX: `app-lock-${path.basename(dir)}`,
    // The trail, and beside it the budget both workers spend from.
    RUNBOOK_AUDIT_DB: path.join(dir, 'audit.db'),
    RUNBOOK_AUDIT_SIGNING_KEY_FILE: path.join(dir, 'audit-signing-key'),
    RUNBOOK_OUTSIDE_CHANGES_EVERY: 'off',
    RUNBOOK_POLL_INITIAL_MS: '100',
    RUNBOOK_POLL_MAX_MS: '500',
    RUNBOOK_POLL_WATCH_MS: '2000',
    // The budget at the simulator's limit (its reserve is then the default, one request).
    RUNBOOK_HEROKU_BUDGET_PER_HOUR: String(LIMIT.refillPerMinute * 60),
    RUNBOOK_HEROKU_BUDGET_BURST: String(LIMIT.capacity),
    HEROKU_API_URL: sim.url,
    HEROKU_DATA_API_URL: sim.url,
    HEROKU_API_KEY: sim.token,
  };
  // One after the other: both opening the audit file at once is tested elsewhere.
  for (let i = 0; i < 2; i++) workers.push((await startWorkerProcess(env)).child);
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

test('a disaster recovery and a maintenance run, on two workers sharing the budget: both succeed, no 429', async () => {
  const callsBefore = (await sim.calls()).length;
  const [recovery, maintenance] = await Promise.all([
    startRunbook(
      client,
      'disaster-recovery',
      {
        operator: 'api-budget-test',
        environment: 'staging',
        backup: 'b010',
        confirm: STAGING,
        timing: { heartbeatTimeoutSeconds: 5 },
      },
      { taskQueue },
    ),
    startRunbook(client, 'maintenance-on', { operator: 'api-budget-test', environment: 'production' }, { taskQueue }),
  ]);
  const outcomes = await Promise.all([waitForRunbook(recovery), waitForRunbook(maintenance)]);
  expect(outcomes.map((outcome) => outcome.status)).toEqual(['succeeded', 'succeeded']);
  const calls = await sim.calls();
  // Far more than the limit's burst: the budget had to spread them over its refill.
  expect(calls.length - callsBefore).toBeGreaterThan(3 * LIMIT.capacity);
  expect(calls.filter((call) => call.status === 429)).toEqual([]);
  // Each worker set the shared budget by Heroku's count when it started (a free request).
  expect(calls.filter((call) => call.path === '/account/rate-limits')).toHaveLength(2);
  expect((await sim.effects()).filter((effect) => effect.kind === 'restore')).toHaveLength(1);
});
