// One changing runbook per app, under a real race: 20 changing runbooks launched at once on one app, from three
// Temporal clients (each its own connection) and from `runbook run` processes, served by two worker processes on
// one task queue. Each run either runs to its end or is refused at once with the app-lock message naming a run that
// did hold the lock; those launched to wait for the lock wait and then run in turn; none hangs. That no two ran at
// once is read from the simulator's record of effects — each effect is tied to its run by the Heroku Request-Id
// that the run's audit trail recorded for the change — and from the audit trail's order of records.
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { startRunbook, waitForRunbook, type RunbookInput, type RunbookOutcome } from '../client/launch';
import type { RunbookId } from '../common/runbooks';
import { SqliteAuditLog } from '../lib/audit/sqlite-audit-log';
import { SealingKeys } from '../lib/sealing';
import { runCli, type CliResult } from './support/cli';
import { openAccess, PEOPLE, STAGING } from './support/harness';
import { TestSimulator, type Effect } from './support/simulator';
import { uniqueTaskQueue } from './support/temporal';
import { until } from './support/until';
import { killWorkers, spawnWorker, waitFor } from './support/worker-process';

jest.setTimeout(240_000);

let sim: TestSimulator;
let dir: string;
let workerEnv: NodeJS.ProcessEnv;
let cliEnv: NodeJS.ProcessEnv;
const workers: ChildProcess[] = [];
const connections: Connection[] = [];
let clients: Client[] = [];
const started: WorkflowHandle[] = [];

beforeAll(async () => {
  sim = await TestSimulator.start();
  // Simulated time 10× real: a backup of staging's database takes about a real second, and the CLI's identity
  // proofs (300 simulated seconds) outlive a busy machine's start of 20 runs.
  await sim.control('PUT', 'clock', { speed: 10 });
  await sim.control('POST', 'dyno-outcomes', { pattern: 'rebuild_index', durationSeconds: 10 });
  dir = mkdtempSync(path.join(os.tmpdir(), 'lock-race-'));
  const configFile = path.join(dir, 'environments.json');
  writeFileSync(
    configFile,
    JSON.stringify({ environments: { staging: { app: STAGING, access: openAccess('staging') } } }),
  );
  const sealing = SealingKeys.generate();
  const shared = {
    TEMPORAL_ADDRESS: process.env.RUNBOOK_TEST_TEMPORAL_ADDRESS,
    RUNBOOK_TASK_QUEUE: uniqueTaskQueue('lock-race'),
    RUNBOOK_LOCK_PREFIX: `app-lock-${randomUUID().slice(0, 8)}`,
    RUNBOOK_CONFIG: configFile,
    HEROKU_API_URL: sim.url,
    HEROKU_DATA_API_URL: sim.url,
  };
  // Two workers, one trail: both write the same SQLite file, as workers of one fleet share one store.
  workerEnv = {
    ...process.env,
    ...shared,
    RUNBOOK_WORKFLOW_BUNDLE: process.env.RUNBOOK_TEST_WORKFLOW_BUNDLE,
    RUNBOOK_AUDIT_DB: path.join(dir, 'audit.db'),
    RUNBOOK_POLL_INITIAL_MS: '100',
    RUNBOOK_POLL_MAX_MS: '500',
    RUNBOOK_POLL_WATCH_MS: '2000',
    HEROKU_API_KEY: sim.token,
    RUNBOOK_SEAL_KEYS: sealing.privateKey,
  };
  cliEnv = { ...shared, HEROKU_API_KEY: PEOPLE.alice.token, RUNBOOK_SEAL_PUBLIC_KEY: sealing.publicKey };
  const fleet = [spawnWorker(workerEnv, workers), spawnWorker(workerEnv, workers)];
  await Promise.all(fleet.map((worker) => waitFor(worker, 'worker ready')));
  for (let i = 0; i < 3; i++)
    connections.push(await Connection.connect({ address: process.env.RUNBOOK_TEST_TEMPORAL_ADDRESS }));
  clients = connections.map((connection) => new Client({ connection }));
});

afterAll(async () => {
  for (const handle of started) await handle.terminate('test cleanup').catch(() => undefined);
  await killWorkers(workers);
  for (const connection of connections) await connection.close();
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A launch from a Temporal client (index into `clients`) or from a `runbook run` process. */
type Launch =
  | { via: 'client'; client: number; runbook: RunbookId; input: Record<string, unknown> }
  | { via: 'cli'; runbook: RunbookId; args: string[] };

const env = { environment: 'staging', reason: 'lock race' };
const waiting = { waitForLock: true };

/** The 20: every changing runbook that works on staging, the same ones several times, three of them waiting. */
const LAUNCHES: Launch[] = [
  { via: 'client', client: 0, runbook: 'maintenance-on', input: env },
  { via: 'client', client: 1, runbook: 'scale-dynos', input: { ...env, processes: { web: '2' } } },
  { via: 'client', client: 2, runbook: 'capture-backup', input: env },
  {
    via: 'client',
    client: 0,
    runbook: 'run-command',
    input: { ...env, command: 'python manage.py migrate --noinput' },
  },
  { via: 'client', client: 1, runbook: 'maintenance-off', input: env },
  {
    via: 'client',
    client: 2,
    runbook: 'set-config-vars',
    input: { ...env, generate: { SECRET_KEY: 'django-secret-key' } },
  },
  { via: 'client', client: 0, runbook: 'scale-dynos', input: { ...env, processes: { worker: '0' } } },
  { via: 'client', client: 1, runbook: 'capture-backup', input: { ...env, ...waiting } },
  { via: 'client', client: 2, runbook: 'maintenance-on', input: env },
  { via: 'client', client: 0, runbook: 'schedule-backups', input: { ...env, at: '03:00 America/New_York' } },
  { via: 'client', client: 1, runbook: 'rebuild-search-index', input: env },
  { via: 'client', client: 2, runbook: 'unset-config-vars', input: { ...env, keys: ['GOOGLE_ANALYTICS_KEY'] } },
  { via: 'client', client: 0, runbook: 'maintenance-off', input: env },
  { via: 'client', client: 1, runbook: 'scale-dynos', input: { ...env, processes: { web: '1', worker: '2' } } },
  { via: 'client', client: 2, runbook: 'capture-backup', input: { ...env, ...waiting } },
  { via: 'cli', runbook: 'maintenance-on', args: ['--env', 'staging'] },
  { via: 'cli', runbook: 'scale-dynos', args: ['--env', 'staging', '--process', 'web=3'] },
  { via: 'cli', runbook: 'run-command', args: ['--env', 'staging', '--command', 'python manage.py clear_cache'] },
  { via: 'cli', runbook: 'capture-backup', args: ['--env', 'staging', '--wait-for-lock'] },
  { via: 'cli', runbook: 'maintenance-off', args: ['--env', 'staging'] },
];

const waits = (launch: Launch) =>
  launch.via === 'client' ? launch.input.waitForLock === true : launch.args.includes('--wait-for-lock');

interface Ended {
  launch: Launch;
  workflowId: string;
  outcome: RunbookOutcome<unknown>;
  cli?: CliResult;
}

/** Launches one, and resolves with its outcome (from Temporal, for a CLI launch also what the command printed). */
async function launchAndWait(launch: Launch, index: number): Promise<Ended> {
  const workflowId = `race-${index}-${launch.runbook}-${randomUUID().slice(0, 8)}`;
  const handleOf = (id: string) => clients[0].workflow.getHandle(id);
  if (launch.via === 'client') {
    const handle = await startRunbook(
      clients[launch.client],
      launch.runbook,
      { operator: `client-${launch.client}`, ...launch.input } as RunbookInput<RunbookId>,
      { taskQueue: cliEnv.RUNBOOK_TASK_QUEUE, workflowId },
    );
    started.push(handle);
    return { launch, workflowId, outcome: await waitForRunbook(handle) };
  }
  started.push(handleOf(workflowId));
  const cli = await runCli(
    ['run', launch.runbook, ...launch.args, '--reason', 'lock race', '--workflow-id', workflowId],
    cliEnv,
  );
  return { launch, workflowId, outcome: await waitForRunbook(handleOf(workflowId)), cli };
}

/** Rejects if `promise` is not settled within `ms`: a run that hangs fails the test, naming it. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not end within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

test('20 changing runbooks launched at once on one app: one at a time, the rest refused clearly or waiting their turn', async () => {
  // All at once: the client starts and the CLI processes are begun in the same tick.
  const ended = await Promise.all(
    LAUNCHES.map((launch, index) =>
      within(launchAndWait(launch, index), 180_000, `launch ${index} (${launch.runbook})`),
    ),
  );
  const ids = new Set(ended.map((run) => run.workflowId));
  const ran = ended.filter((run) => run.outcome.status === 'succeeded');
  const refused = ended.filter((run) => run.outcome.status === 'failed');

  // Each either ran to its end or was refused with the lock's message; those that wait all ran, in turn.
  for (const run of refused) {
    if (run.outcome.status !== 'failed') continue;
    expect(waits(run.launch)).toBe(false);
    expect({ workflowId: run.workflowId, type: run.outcome.error.type }).toEqual({
      workflowId: run.workflowId,
      type: 'AppLocked',
    });
    const match = run.outcome.error.message.match(
      /^(\S+) \((\S+)\), started by .+ at \S+ is changing csis-reconasia-bravo; only one changing runbook runs on an app at a time, so this one did not start and changed nothing\. Watch it: `runbook status (\S+)`\. To queue behind it instead, launch with --wait-for-lock\.$/,
    );
    expect(match).not.toBeNull();
    const [, holderRunbook, holderId, watchId] = match!;
    // The holder it names is one of the 20, another one, one that did hold the lock (it ran), and it is what it says.
    expect(holderId).toBe(watchId);
    expect(holderId).not.toBe(run.workflowId);
    expect(ids.has(holderId)).toBe(true);
    const holder = ran.find((other) => other.workflowId === holderId);
    expect(holder?.launch.runbook).toBe(holderRunbook);
    // The operator at the CLI reads the same refusal, and the command says it failed.
    if (run.cli) {
      // With what it printed, so that a mismatch shows what the operator saw.
      expect({ code: run.cli.code, printed: `${run.cli.stdout}\n${run.cli.stderr}` }).toMatchObject({ code: 1 });
      expect(`${run.cli.stdout}\n${run.cli.stderr}`).toContain(`is changing csis-reconasia-bravo`);
      expect(`${run.cli.stdout}\n${run.cli.stderr}`).toContain('--wait-for-lock');
    }
  }
  expect(ended.filter((run) => waits(run.launch)).map((run) => run.outcome.status)).toEqual([
    'succeeded',
    'succeeded',
    'succeeded',
  ]);
  expect(refused.length).toBeGreaterThan(0);
  expect(ran.length + refused.length).toBe(20);
  for (const run of ran.filter((r) => r.cli)) expect(run.cli!.code).toBe(0);

  // At least one of those that wait found the lock taken and ran after it was free: its own lock start failed
  // (another run held the lock) before one succeeded.
  const waited = await Promise.all(
    ended
      .filter((run) => waits(run.launch))
      .map(async (run) => {
        const { events } = await clients[0].workflow.getHandle(run.workflowId).fetchHistory();
        const refusedStarts = events!.filter((e) => e.startChildWorkflowExecutionFailedEventAttributes).length;
        const starts = events!.filter((e) => e.childWorkflowExecutionStartedEventAttributes).length;
        return { refusedStarts, starts };
      }),
  );
  expect(waited.every((w) => w.starts === 1)).toBe(true);
  expect(waited.some((w) => w.refusedStarts > 0)).toBe(true);

  // ── No two changed the app at once ──────────────────────────────────────────────────────────────────────
  const audit = new SqliteAuditLog(workerEnv.RUNBOOK_AUDIT_DB!, { readOnly: true });
  const trail = (await audit.query({ limit: 100_000 })).filter((entry) => ids.has(entry.workflowId));
  await audit.close();

  // Every run's trail: started, and how it ended. A refused run recorded no intent to change anything.
  for (const run of ended) {
    const own = trail.filter((entry) => entry.workflowId === run.workflowId).map((entry) => entry.event);
    expect({ workflowId: run.workflowId, started: own.includes('started') }).toEqual({
      workflowId: run.workflowId,
      started: true,
    });
    expect(own).toContain(run.outcome.status === 'succeeded' ? 'succeeded' : 'failed');
    if (run.outcome.status === 'failed')
      expect(own.filter((event) => event === 'intent' || event === 'change')).toEqual([]);
  }

  // The Request-Id of every change each run made, as its trail recorded it → which run each effect belongs to.
  const runOfRequest = new Map<string, string>();
  for (const entry of trail) {
    for (const requestId of (entry.details.herokuRequestIds as string[] | undefined) ?? [])
      runOfRequest.set(requestId, entry.workflowId);
  }
  const effects = await sim.effects();
  const runOfDyno = new Map<string, string>();
  const owner = (effect: Effect): string | undefined => {
    if (effect.kind === 'dyno-exit') return runOfDyno.get(effect.name as string);
    const run = runOfRequest.get(effect.requestId as string);
    if (effect.kind === 'dyno-create' && run) runOfDyno.set(effect.name as string, run);
    return run;
  };
  const owned = effects.map((effect) => ({ effect, run: owner(effect) }));
  // Every effect on Heroku is one a run recorded (by its Request-Id), or the exit of a dyno a run started.
  expect(owned.filter(({ run }) => run === undefined).map(({ effect }) => effect)).toEqual([]);
  expect(effects.every((effect) => effect.app === STAGING)).toBe(true);
  // Nothing a refused run did reached Heroku.
  const refusedIds = new Set(refused.map((run) => run.workflowId));
  expect(owned.filter(({ run }) => refusedIds.has(run!)).map(({ effect }) => effect)).toEqual([]);
  // Each run's effects form one contiguous block in the order Heroku applied them: no interleaving.
  const blocks = owned.map(({ run }) => run!).filter((run, i, all) => i === 0 || all[i - 1] !== run);
  expect(blocks).toEqual([...new Set(blocks)]);
  // Among them each run that waited its turn: each took a backup, in a block of its own.
  for (const run of ended.filter((r) => waits(r.launch))) expect(blocks).toContain(run.workflowId);

  // The trail agrees: each run's intents and changes sit in one stretch of the store's order, and no two stretches
  // overlap (the store's position is the order in which the workers' writes were taken).
  const stretches = ran
    .map((run) => {
      const positions = trail
        .filter(
          (entry) => entry.workflowId === run.workflowId && (entry.event === 'intent' || entry.event === 'change'),
        )
        .map((entry) => entry.position);
      return { workflowId: run.workflowId, first: Math.min(...positions), last: Math.max(...positions) };
    })
    .filter((stretch) => Number.isFinite(stretch.first))
    .sort((a, b) => a.first - b.first);
  for (let i = 1; i < stretches.length; i++) {
    expect({
      after: stretches[i - 1],
      next: stretches[i],
      overlap: stretches[i].first < stretches[i - 1].last,
    }).toEqual({ after: stretches[i - 1], next: stretches[i], overlap: false });
  }
  // …in the same order as their effects on Heroku (a run whose change found nothing to do has no block there).
  expect(stretches.map((s) => s.workflowId).filter((id) => blocks.includes(id))).toEqual(blocks);

  // No lock is left held: the next changing runbook on the app runs at once.
  const lock = clients[0].workflow.getHandle(`${cliEnv.RUNBOOK_LOCK_PREFIX}.${STAGING}`);
  await until(
    () => lock.describe().then((d) => d.status.name),
    (status) => status !== 'RUNNING',
    'the app lock to be released',
  );
  const after = await startRunbook(
    clients[1],
    'maintenance-off',
    { ...env, operator: 'after-the-race' },
    {
      taskQueue: cliEnv.RUNBOOK_TASK_QUEUE,
    },
  );
  started.push(after);
  expect((await within(waitForRunbook(after), 60_000, 'the run after the race')).status).toBe('succeeded');
});
