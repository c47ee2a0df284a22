import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import type { AuditEntry } from '../common/audit';
import { SqliteAuditLog } from '../lib/audit/sqlite-audit-log';
import { AuditSigner } from '../lib/audit/audit-keys';
import { SealingKeys } from '../lib/sealing';
import { SEED_PEOPLE } from '../simulator';
import { runCli, startCli, startCliStack, waitForExit } from './support/cli';
import { TestSimulator } from './support/simulator';

// `runbook history`, `runbook show` and `runbook audit export` read the audit trail alone: a disaster recovery run
// through the real CLI and worker processes reads the same once Temporal has forgotten it.

const sealing = SealingKeys.generate();

// A full disaster recovery and a deletion Temporal carries out in the background: slow on a busy machine.
jest.setTimeout(300_000);
let sim: TestSimulator;
let worker: ChildProcess;
let env: NodeJS.ProcessEnv;
let connection: Connection;
let client: Client;

beforeAll(async () => {
  sim = await TestSimulator.start();
  ({ env, worker } = await startCliStack('history', sim, sealing, SEED_PEOPLE.alice.token));
  await sim.control('PUT', 'clock', { speed: 60 });
  connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS! });
  client = new Client({ connection });
});

afterAll(async () => {
  if (worker && worker.exitCode === null) {
    worker.kill('SIGTERM');
    await waitForExit(worker);
  }
  await connection?.close();
  await sim?.close();
});

const as = (person: keyof typeof SEED_PEOPLE) => ({ ...env, HEROKU_API_KEY: SEED_PEOPLE[person].token });

async function statusUntil(workflowId: string, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    last = (await runCli(['status', workflowId], env)).stdout;
    if (pattern.test(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  throw new Error(`runbook status never matched ${pattern}:\n${last}`);
}

/** The store as the worker wrote it, newest first (as `audit list` reads it). */
async function storeEntries(): Promise<AuditEntry[]> {
  const log = new SqliteAuditLog(env.RUNBOOK_AUDIT_DB!, { signer: AuditSigner.fromEnv().signer });
  try {
    return await log.query({ limit: 100_000 });
  } finally {
    await log.close();
  }
}

async function json<T>(args: string[]): Promise<T> {
  const result = await runCli(args, env);
  if (result.code !== 0) throw new Error(`runbook ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

/**
 * Deletes a run from Temporal (as its retention would) and waits until Temporal no longer knows it. The server
 * deletes in the background, later on a busy machine: the request is sent again now and then (it is idempotent).
 */
async function forget(workflowId: string, runId: string): Promise<void> {
  const remove = () =>
    client.workflowService.deleteWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId, runId } });
  await remove();
  const deadline = Date.now() + 180_000;
  for (let polls = 1; ; polls++) {
    try {
      await client.workflow.getHandle(workflowId, runId).describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return;
      throw err;
    }
    if (Date.now() > deadline) throw new Error(`${workflowId} is still in Temporal 180 s after its deletion`);
    await new Promise((resolve) => setTimeout(resolve, 500));
    if (polls % 20 === 0) await remove().catch(() => undefined);
  }
}

let recovery: { workflowId: string; runId: string };
let startedAt: string;

test('a disaster recovery approved by bob: history and show from the trail, also once Temporal forgot the run', async () => {
  startedAt = new Date(Date.now() - 1000).toISOString();
  const { child: alice, stderr } = await startCli(
    ['run', 'disaster-recovery', '--env', 'production', '--backup', 'b016', '--reason', 'restore drill'],
    as('alice'),
    /Started disaster-recovery: \S+/,
  );
  const workflowId = /Started disaster-recovery: (\S+)/.exec(stderr())![1];
  await statusUntil(workflowId, /Waiting for approval of plan [0-9a-f]{16}/);
  // The requester's own approval is refused, and on the record.
  expect((await runCli(['approve', workflowId, '--yes'], as('alice'))).code).toBe(1);
  const approved = await runCli(['approve', workflowId, '--yes', '--reason', 'drill agreed'], as('bob'));
  expect(approved.code).toBe(0);
  expect((await waitForExit(alice)).code).toBe(0);
  const { runId } = (await client.workflow.getHandle(workflowId).describe()) as { runId: string };
  recovery = { workflowId, runId };

  // History: one line, with who asked, who approved, the outcome and how long it took.
  const lines = await json<Record<string, unknown>[]>(['history', '--json']);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatchObject({
    kind: 'run',
    workflowId,
    runId,
    runbook: 'disaster-recovery',
    app: 'csis-reconasia-alfa',
    environment: 'production',
    requester: { name: 'alice@csis.example', verified: true },
    approvers: [{ name: 'bob@csis.example', verified: true }],
    outcome: 'succeeded',
    why: null,
  });
  expect(lines[0].durationSeconds).toEqual(expect.any(Number));
  const text = await runCli(['history'], env);
  expect(text.code).toBe(0);
  expect(text.stdout).toMatch(
    /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ {2}disaster-recovery {2}csis-reconasia-alfa \(production\) {2}by alice@csis\.example \(verified\) {2}approved by bob@csis\.example \(verified\) {2}succeeded {2}\d+ (s|min)/,
  );
  expect(text.stdout).toContain(workflowId);

  // Show: the timeline with what each step made on Heroku.
  const shown = await runCli(['show', workflowId], env);
  expect(shown.code).toBe(0);
  const timeline = shown.stdout;
  expect(timeline).toMatch(/^disaster-recovery on csis-reconasia-alfa \(production\): /);
  expect(timeline).toContain('Requested by alice@csis.example (verified); approved by bob@csis.example (verified)');
  expect(timeline).toMatch(/Outcome: succeeded in \d+ (s|min)/);
  expect(timeline).toMatch(
    /approval by alice@csis\.example refused: alice@csis\.example requested this run.*\n.*↳ refused: sent by alice@csis\.example \(verified\)/,
  );
  expect(timeline).toMatch(/approved by bob@csis\.example: drill agreed/);
  expect(timeline).toMatch(/release v\d+/);
  // Scaling too: the quiet step's change names the Request-Id of its PATCH.
  expect(timeline).toMatch(/change {8}quieted scheduler=0:\S+ worker=0:\S+ .*\n.*↳ Request-Id [0-9a-f-]{36}/);
  expect(timeline).toMatch(/started backup (b\d{3}) of DATABASE_URL\n.*↳ backup b\d{3}; Request-Id [0-9a-f-]{36}/);
  expect(timeline).toMatch(/↳ b\d{3}: succeeded, \d+\.\d+ MB/); // the safety backup's size
  expect(timeline).toMatch(/↳ backup b016; restore r\d{3}; Request-Id [0-9a-f-]{36}/);
  expect(timeline).toMatch(/↳ r\d{3}: succeeded, 9\.59 MB/);
  expect(timeline).toMatch(/↳ dyno run\.\d+; Request-Id [0-9a-f-]{36}/);
  expect(timeline).toMatch(
    /rebuild_index --noinput` in run\.\d+ exited with status 0\n.*↳ dyno run\.\d+; exit status 0/,
  );
  expect(timeline).toMatch(/How the app was left: as the runbook intended: Restored b016/);

  // The Request-Ids on the record are the ones the simulator served for changing requests.
  const shownJson = await json<{ timeline: { artefacts: { herokuRequestIds?: string[] } }[] }>([
    'show',
    workflowId,
    '--json',
  ]);
  const recorded = shownJson.timeline.flatMap((item) => item.artefacts.herokuRequestIds ?? []);
  expect(recorded.length).toBeGreaterThanOrEqual(5);
  const served = new Map((await sim.calls()).map((call) => [(call as { requestId?: string }).requestId, call]));
  for (const id of recorded) expect(served.get(id)?.method).toMatch(/^(POST|PATCH|PUT|DELETE)$/);

  // Temporal forgets the run; the trail does not.
  await forget(workflowId, runId);
  expect((await runCli(['status', workflowId], env)).code).not.toBe(0);
  const after = await runCli(['show', workflowId], env);
  expect(after.code).toBe(0);
  expect(after.stdout).toBe(timeline);
  expect(await json(['history', '--json'])).toEqual(lines);
});

test('history filters by app, environment, runbook, operator and time; outside changes have their own lines', async () => {
  const maintenance = await json<{ workflowId: string }>([
    'run',
    'maintenance-on',
    '--env',
    'staging',
    '--reason',
    'filters',
    '--json',
  ]);
  expect(maintenance.workflowId).toMatch(/^maintenance-on\.staging\./);
  // An outside change as the reconciler records it.
  const log = new SqliteAuditLog(env.RUNBOOK_AUDIT_DB!, { signer: AuditSigner.fromEnv().signer });
  await log.write({
    workflowId: 'outside-changes:csis-reconasia-alfa',
    runId: 'release:3f1c2a52-6f0e-4c55-9a53-0d2b7c1e9a10',
    seq: 0,
    at: new Date().toISOString(),
    runbook: 'outside-change',
    event: 'outside-change',
    operator: 'carol@csis.example',
    app: 'csis-reconasia-alfa',
    environment: 'production',
    summary: 'set DEBUG on csis-reconasia-alfa (release v99)',
    details: { release: { version: 99 } },
  });
  await log.close();

  const ids = async (...args: string[]) =>
    (await json<{ kind: string; workflowId: string }[]>(['history', '--json', ...args])).map((line) => line.workflowId);
  expect(await ids()).toEqual(['outside-changes:csis-reconasia-alfa', maintenance.workflowId, recovery.workflowId]);
  expect(await ids('--app', 'csis-reconasia-bravo')).toEqual([maintenance.workflowId]);
  expect(await ids('--app', 'csis-reconasia-alfa')).toEqual([
    'outside-changes:csis-reconasia-alfa',
    recovery.workflowId,
  ]);
  expect(await ids('--env', 'production', '--runbook', 'disaster-recovery')).toEqual([recovery.workflowId]);
  expect(await ids('--runbook', 'maintenance-on')).toEqual([maintenance.workflowId]);
  // bob approved the recovery; alice asked for it and for the maintenance.
  expect(await ids('--operator', 'bob@csis.example')).toEqual([recovery.workflowId]);
  expect(await ids('--operator', 'alice@csis.example')).toEqual([maintenance.workflowId, recovery.workflowId]);
  expect(await ids('--operator', 'carol@csis.example')).toEqual(['outside-changes:csis-reconasia-alfa']);
  expect(await ids('--limit', '1')).toEqual(['outside-changes:csis-reconasia-alfa']);
  expect(await ids('--since', startedAt)).toHaveLength(3);
  expect(await ids('--since', new Date(Date.now() + 60_000).toISOString())).toEqual([]);

  const text = await runCli(['history', '--app', 'csis-reconasia-alfa'], env);
  expect(text.stdout).toMatch(
    /^\S+ \S+ {2}csis-reconasia-alfa \(production\) {2}outside change by carol@csis\.example: set DEBUG on csis-reconasia-alfa \(release v99\)$/m,
  );
  const none = await runCli(['history', '--operator', 'nobody@csis.example'], env);
  expect(none.stdout).toMatch(/^No runs match \(audit log: .*audit-history-.*\.db\)\./);
  const bad = await runCli(['history', '--since', 'last tuesday'], env);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/--since.*expected a date or time/);
  expect((await runCli(['history', '--limit', '0'], env)).code).toBe(2);
});

test('show: the latest of several runs of one workflow ID, naming the others; nothing recorded says so', async () => {
  const workflowId = `history-reuse-${randomUUID().slice(0, 8)}`;
  const first = await runCli(
    ['run', 'maintenance-off', '--env', 'staging', '--workflow-id', workflowId, '--json'],
    env,
  );
  expect(first.code).toBe(0);
  const second = await runCli(
    ['run', 'maintenance-on', '--env', 'staging', '--workflow-id', workflowId, '--json'],
    env,
  );
  expect(second.code).toBe(0);
  const [firstRun, secondRun] = [JSON.parse(first.stdout).runId, JSON.parse(second.stdout).runId];

  const shown = await runCli(['show', workflowId], env);
  expect(shown.code).toBe(0);
  expect(shown.stdout).toContain(`maintenance-on on csis-reconasia-bravo (staging): ${workflowId}, run ${secondRun}`);
  expect(shown.stdout).toContain('This workflow ID has 2 runs on the record; this is the latest. The others:');
  expect(shown.stdout).toContain(`${firstRun}: succeeded`);
  const older = await runCli(['show', workflowId, '--run-id', firstRun], env);
  expect(older.stdout).toContain(`maintenance-off on csis-reconasia-bravo (staging): ${workflowId}, run ${firstRun}`);
  const wrongRun = await runCli(['show', workflowId, '--run-id', 'no-such-run'], env);
  expect(wrongRun.code).toBe(1);
  expect(wrongRun.stderr).toContain(`Run no-such-run of ${workflowId} is not on the record; its runs there:`);

  const nothing = await runCli(['show', 'never-ran-here'], env);
  expect(nothing.code).toBe(1);
  expect(nothing.stderr).toMatch(/Nothing is recorded under workflow ID never-ran-here \(audit log: .*\)\./);
});

/** RFC 4180: quoted fields may hold commas, doubled quotes and line breaks; records end with CRLF. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  expect(field).toBe(''); // the last record ended with CRLF
  return rows;
}

test('audit export: every record oldest first, as JSON Lines and as CSV, parses back to the store records', async () => {
  const stored = (await storeEntries()).reverse();
  expect(stored.length).toBeGreaterThan(40);

  const jsonl = await runCli(['audit', 'export', '--format', 'jsonl'], env);
  expect(jsonl.code).toBe(0);
  const lines = jsonl.stdout.split('\n');
  expect(lines.pop()).toBe('');
  expect(lines.map((line) => JSON.parse(line))).toEqual(stored);
  // Verified as it was written, and the file verifies on its own, without the database.
  expect(jsonl.stderr).toMatch(/^Exported \d+ audit records \(jsonl\), verified: each in its place in the chain/);
  const jsonlFile = path.join(process.env.RUNBOOK_TEST_DIR!, `export-${randomUUID()}.jsonl`);
  writeFileSync(jsonlFile, jsonl.stdout);
  const verified = await runCli(['audit', 'verify', '--file', jsonlFile], {
    RUNBOOK_AUDIT_DB: 'postgres://nobody@127.0.0.1:1/none',
  });
  expect({ code: verified.code, stdout: verified.stdout }).toMatchObject({ code: 0 });
  expect(verified.stdout).toContain(`is intact: ${stored.length} records`);

  const file = path.join(process.env.RUNBOOK_TEST_DIR!, `export-${randomUUID()}.csv`);
  const csv = await runCli(['audit', 'export', '--format', 'csv', '--output', file], env);
  expect(csv.code).toBe(0);
  expect(csv.stderr).toContain(`Exported ${stored.length} audit records to ${file} (csv), verified`);
  const [header, ...rows] = parseCsv(readFileSync(file, 'utf8'));
  expect([...header].sort()).toEqual(Object.keys(stored[0]).sort());
  const typed = rows.map((cells) => {
    const row = Object.fromEntries(header.map((column, i) => [column, cells[i]])) as Record<string, unknown>;
    return {
      ...row,
      seq: Number(row.seq),
      position: Number(row.position),
      app: row.app === '' ? null : row.app,
      environment: row.environment === '' ? null : row.environment,
      details: JSON.parse(row.details as string),
    };
  });
  expect(typed).toEqual(stored);
  // Some summaries need quoting (commas, quotes): the round trip above covers them.
  expect(stored.some((entry) => /[",]/.test(entry.summary))).toBe(true);

  const since = stored[Math.floor(stored.length / 2)].at;
  const part = await runCli(['audit', 'export', '--since', since], env);
  const partial = part.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as AuditEntry);
  expect(partial).toEqual(stored.filter((entry) => entry.at >= since));
  expect((await runCli(['audit', 'export', '--format', 'xml'], env)).code).toBe(2);
});
