// Bad input, by property, at the real entry points: the compiled `runbook` CLI, the Temporal CLI's `workflow start`,
// and Updates and Signals sent to a waiting run and to its app lock — against the suite's dev server, the simulator
// and a `runbook worker` process. Whatever is sent, it is refused naming the field, no refused start reaches
// Heroku, the worker stays up and the run that was sent to keeps answering; then a normal run still succeeds.
import { execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { Command, CommanderError } from 'commander';
import fc from 'fast-check';
import { IdentityProver } from '../client/identity';
import { startRunbook, waitForRunbook } from '../client/launch';
import { flagsFor, inputFromFlags, optionFor } from '../client/schema-flags';
import { UsageError } from '../client/usage-error';
import type { ApprovalState } from '../common/disaster-recovery';
import { approvalQuery, lockHolderQuery, progressQuery } from '../common/messages';
import { RUNBOOKS, type RunbookId } from '../common/runbooks';
import { checkInput, describePath } from '../common/validation';
import { PACKAGE_ROOT } from '../lib/paths';
import { SealingKeys } from '../lib/sealing';
import { runCli, startCliStack, waitForExit } from './support/cli';
import { PEOPLE, PRODUCTION } from './support/harness';
import {
  applyMutations,
  deepArrayJson,
  deepObjectJson,
  describeMutation,
  GOOD_INPUTS,
  hostileString,
  MEGABYTE,
  mutatedPath,
  mutationOf,
  SEALED_LOOKALIKE,
  type Mutation,
  GOOD_CLI_ARGS,
} from './support/hostile-inputs';
import { TestSimulator } from './support/simulator';
import { until } from './support/until';

jest.setTimeout(300_000);

const SEED = 20261213;
const address = process.env.RUNBOOK_TEST_TEMPORAL_ADDRESS!;
const sealing = SealingKeys.generate();
let sim: TestSimulator;
let worker: ChildProcess;
let env: NodeJS.ProcessEnv;
let connection: Connection;
let client: Client;
const started: WorkflowHandle[] = [];

beforeAll(async () => {
  sim = await TestSimulator.start();
  ({ env, worker } = await startCliStack('fuzz', sim, sealing, PEOPLE.alice.token));
  // Histories of runs sent megabytes are larger than gRPC's default 4 MB answer.
  connection = await Connection.connect({ address, channelArgs: { 'grpc.max_receive_message_length': 64 * MEGABYTE } });
  client = new Client({ connection });
});

afterAll(async () => {
  for (const handle of started) await handle.terminate('test cleanup').catch(() => undefined);
  if (worker && worker.exitCode === null) {
    worker.kill('SIGKILL');
    await waitForExit(worker);
  }
  await connection?.close();
  await sim?.close();
});

/** The Temporal CLI this checkout built (scripts/temporal.sh ensure prints where it is). */
function temporalCli(): string {
  const built = path.join(PACKAGE_ROOT, '.tools', 'bin', 'temporal');
  if (existsSync(built)) return built;
  return execFileSync('bash', [path.join(PACKAGE_ROOT, 'scripts', 'temporal.sh'), 'ensure'], {
    encoding: 'utf8',
  }).trim();
}

/** Runs `temporal …` against the suite's server: its exit code and output (a refusal is not an exception here). */
function temporalCommand(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(temporalCli(), [...args, '--address', address], { maxBuffer: 16 * MEGABYTE }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** What a refused start left: no Heroku call at all (the simulator records every request). */
async function herokuCalls(): Promise<number> {
  return (await sim.calls()).length;
}

/** The run's history, encoded: a megabyte input must be in it once (the start), not echoed a second time. */
async function historyBytes(handle: WorkflowHandle): Promise<number> {
  return temporal.api.history.v1.History.encode(await handle.fetchHistory()).finish().length;
}

/** A start the schema refuses, with the field it must be refused for. */
interface RefusedStart {
  id: RunbookId;
  label: string;
  /** The JSON typed into `temporal workflow start --input`. */
  json: string;
  /** Names any one of these may appear in the refusal. */
  names: string[];
  type?: string;
}

function refusedByMutation(id: RunbookId, mutations: Mutation[]): RefusedStart | null {
  const input = applyMutations(GOOD_INPUTS[id][0], mutations);
  if (input === undefined || checkInput(RUNBOOKS[id].input, input).success) return null;
  const names = mutations.map(mutatedPath).flatMap((p) => p.map((_, i) => describePath(p.slice(0, i + 1))));
  if (mutations.some((m) => ['app', 'environment'].includes(String(m.path[0])))) names.push('environment', 'app');
  if (mutations.some((m) => m.path.length === 0)) names.push('(input)', 'environment');
  return { id, label: mutations.map(describeMutation).join(', '), json: JSON.stringify(input), names };
}

describe('from `temporal workflow start --input`', () => {
  test('spoiled inputs of any runbook fail the run at once, as InvalidRunbookInput naming the field, with no Heroku call', async () => {
    const generated = fc
      .sample(
        fc
          .constantFrom(...(Object.keys(RUNBOOKS) as RunbookId[]))
          .chain((id) =>
            fc.tuple(
              fc.constant(id),
              fc.array(mutationOf(GOOD_INPUTS[id][0], { json: true }), { minLength: 1, maxLength: 2 }),
            ),
          )
          .map(([id, mutations]) => refusedByMutation(id, mutations))
          .filter((start): start is RefusedStart => start !== null),
        { seed: SEED, numRuns: 40 },
      )
      // The Temporal CLI takes its input as one argument: what a shell can pass (Linux: 128 KB per argument).
      .filter((start) => start.json.length < 128 * 1024)
      .slice(0, 12);
    const targeted: RefusedStart[] = [
      { id: 'maintenance-on', label: 'no input at all', json: '', names: ['environment'] },
      { id: 'maintenance-on', label: 'a string', json: '"staging"', names: ['(input)'] },
      { id: 'maintenance-on', label: 'null', json: 'null', names: ['environment'] },
      {
        id: 'app-status',
        label: 'objects 9000 deep',
        json: `{"environment": ${deepObjectJson(9000)}}`,
        names: ['environment'],
      },
      { id: 'app-status', label: 'arrays 9000 deep', json: `{"app": ${deepArrayJson(9000)}}`, names: ['app'] },
      {
        id: 'set-config-vars',
        label: 'a "__proto__" config var (zod drops such keys: the run would have set nothing)',
        json: `{"environment": "staging", "set": {"__proto__": "${SEALED_LOOKALIKE}"}}`,
        names: ['set.__proto__'],
      },
      {
        id: 'disaster-recovery',
        label: 'resumeFrom with a run ID Temporal would refuse',
        json: JSON.stringify({
          environment: 'production',
          backup: 'b016',
          resumeFrom: { workflowId: 'x', runId: '../' },
        }),
        names: ['resumeFrom.runId'],
      },
      {
        id: 'maintenance-on',
        label: '"constructor", a well-formed environment name every object inherits',
        json: JSON.stringify({ environment: 'constructor' }),
        names: ['constructor'],
        type: 'RunbookConfigError',
      },
    ];
    const before = await herokuCalls();
    const refusedRuns: WorkflowHandle[] = [];
    for (const [n, start] of [...targeted, ...generated].entries()) {
      const workflowId = `fuzz-start-${n}-${Date.now()}`;
      const { workflowType } = RUNBOOKS[start.id];
      const args = ['workflow', 'start', '--type', workflowType, '--task-queue', env.RUNBOOK_TASK_QUEUE!];
      const sent = await temporalCommand([
        ...args,
        '--workflow-id',
        workflowId,
        ...(start.json ? ['--input', start.json] : []),
      ]);
      expect({ start: start.label, code: sent.code, stderr: sent.stderr }).toMatchObject({ code: 0 });
      const handle = client.workflow.getHandle(workflowId);
      started.push(handle);
      refusedRuns.push(handle);
      const outcome = await waitForRunbook(handle);
      expect({ start: start.label, status: outcome.status }).toEqual({ start: start.label, status: 'failed' });
      if (outcome.status !== 'failed') continue;
      expect({ start: start.label, type: outcome.error.type }).toEqual({
        start: start.label,
        type: start.type ?? 'InvalidRunbookInput',
      });
      const named = start.names.some((name) => outcome.error.message.includes(name));
      expect({ start: start.label, message: outcome.error.message.slice(0, 500), named }).toMatchObject({
        named: true,
      });
      expect(outcome.error.message.length).toBeLessThan(4_000);
    }
    expect(await herokuCalls()).toBe(before);
    expect(worker.exitCode).toBeNull();
  });

  test('megabyte strings from the API (beyond what a shell can pass) are refused without being echoed into the history', async () => {
    const before = await herokuCalls();
    const big = 'a'.repeat(MEGABYTE);
    const cases: { type: string; input: unknown; name: string }[] = [
      { type: 'maintenanceOn', input: { environment: big }, name: 'environment' },
      {
        type: 'scheduleBackups',
        input: { environment: 'production', at: `02:00${' '.repeat(MEGABYTE)}!` },
        name: 'at',
      },
      // Well-formed, so the run reads its target first; the refusal names the field and quotes only its start.
      { type: 'restoreBackup', input: { environment: 'staging', backup: 'b016', confirm: big }, name: 'confirm' },
    ];
    for (const [n, { type, input, name }] of cases.entries()) {
      const handle = await client.workflow.start(type, {
        taskQueue: env.RUNBOOK_TASK_QUEUE!,
        workflowId: `fuzz-megabyte-${n}-${Date.now()}`,
        args: [input],
      });
      started.push(handle);
      const outcome = await waitForRunbook(handle);
      expect(outcome.status === 'failed' && outcome.error).toMatchObject({
        type: 'InvalidRunbookInput',
        message: expect.stringContaining(name),
      });
      expect(outcome.status === 'failed' && outcome.error.message.length).toBeLessThan(4_000);
      expect(await historyBytes(handle)).toBeLessThan(1.25 * MEGABYTE);
    }
    expect(await herokuCalls()).toBe(before);
  });
});

describe('from the runbook CLI', () => {
  test('hostile flag values exit 2 naming the flag, print no stack trace and call nothing', async () => {
    /** The argv a property generates, kept where the schema refuses it (what the CLI does with good ones is tested elsewhere). */
    const refused = fc
      .sample(
        fc.constantFrom(...(Object.keys(RUNBOOKS) as RunbookId[])).chain((id) => {
          const flags = flagsFor(RUNBOOKS[id].input).filter((spec) => spec.kind !== 'boolean');
          const value = hostileString().filter((hostile) => {
            const text = String(hostile.value);
            return !text.includes('\u0000') && text.length < 100_000;
          });
          return fc.tuple(fc.constant(id), fc.constantFrom(...flags.map((spec) => spec.flag)), value);
        }),
        { seed: SEED, numRuns: 40 },
      )
      .map(([id, flag, value]) => ({
        id,
        flag,
        label: `${flag} ${value.label}`,
        args: [...GOOD_CLI_ARGS[id], flag, String(value.value)],
      }))
      .filter(({ id, args }) => refusedByTheSchema(id, args))
      .slice(0, 10);
    const targeted = [
      {
        id: 'schedule-backups' as RunbookId,
        flag: '--at',
        label: '--at "02:00" + 100 000 spaces + "!" (backtracked for minutes before)',
        args: [...GOOD_CLI_ARGS['schedule-backups'], '--at', `02:00${' '.repeat(100_000)}!`],
      },
      {
        id: 'set-config-vars' as RunbookId,
        flag: '--set',
        label: '--set __proto__=value',
        args: ['--env', 'staging', '--set', '__proto__=value'],
      },
    ];
    const before = await herokuCalls();
    for (const { id, flag, label, args } of [...targeted, ...refused]) {
      const { code, stdout, stderr } = await runCli(['run', id, ...args, '--no-wait'], env);
      expect({ label, code }).toEqual({ label, code: 2 });
      expect({ label, names: stderr.includes(flag) }).toEqual({ label, names: true });
      expect(stderr).toMatch(/^runbook: /);
      expect(stderr).not.toMatch(/\n\s+at /);
      expect(stdout + stderr).not.toContain('a'.repeat(10_000));
      expect((stdout + stderr).length).toBeLessThan(4_000);
    }
    // The CLI proves who starts a run with a Heroku call (POST /oauth/authorizations): not for refused flags.
    expect(await herokuCalls()).toBe(before);
  });
});

/** Whether the CLI's own flag parsing and the schema refuse these flags (as test/fuzz-schemas.test.ts checks in-process). */
function refusedByTheSchema(id: RunbookId, args: string[]): boolean {
  const specs = flagsFor(RUNBOOKS[id].input);
  const command = new Command(id).exitOverride().configureOutput({ writeErr: () => undefined });
  for (const spec of specs) command.addOption(optionFor(spec));
  try {
    command.parse(args, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError || err instanceof UsageError) return true;
    throw err;
  }
  return !checkInput(RUNBOOKS[id].input, inputFromFlags(specs, command.opts())).success;
}

describe('as Updates and Signals to a run waiting for approval, and to its app lock', () => {
  /** Payloads a hand-typed Update or Signal may carry. Each must be refused (or recorded), never wedge the run. */
  const payloads = (planHash: string): { label: string; value: unknown }[] => [
    { label: 'null', value: null },
    { label: 'a string', value: 'approve' },
    { label: 'a number', value: 42 },
    { label: 'an array', value: [planHash] },
    { label: 'no proof', value: { planHash } },
    { label: 'a planHash that cannot be made a string', value: { planHash: { toString: 1 }, proof: 'x' } },
    { label: 'a planHash 1000 deep', value: { planHash: JSON.parse(deepObjectJson(1000)), proof: 'x' } },
    { label: 'a megabyte proof', value: { planHash, proof: 'p'.repeat(MEGABYTE) } },
    { label: 'a reason that is not a string', value: { planHash, proof: 'x', reason: { trim: 1 } } },
    { label: 'header injection in approver', value: { planHash, proof: 'x', approver: 'bob\r\nX-Injected: 1' } },
  ];

  test('each is refused or recorded; the run keeps waiting, changes nothing, then takes a real rejection', async () => {
    const prover = new IdentityProver(PEOPLE.alice.token, new SealingKeys([sealing.privateKey]).sealer(), sim.url);
    const handle = await startRunbook(
      client,
      'disaster-recovery',
      { environment: 'production', backup: 'b016' },
      { taskQueue: env.RUNBOOK_TASK_QUEUE, prover },
    );
    started.push(handle);
    const waiting = await until(
      () => handle.query(approvalQuery),
      (state: ApprovalState) => state.status === 'waiting',
      'the plan to wait for approval',
      120_000,
    );
    const planHash = waiting.planHash!;
    for (const name of ['approve', 'reject']) {
      for (const { label, value } of payloads(planHash)) {
        const refusal = await handle.executeUpdate(name, { args: [value] }).then(
          () => null,
          (err: unknown) => err,
        );
        expect({ name, label, refused: refusal instanceof WorkflowUpdateFailedError }).toEqual({
          name,
          label,
          refused: true,
        });
        const cause = (refusal as WorkflowUpdateFailedError).cause;
        expect({ name, label, cause: cause instanceof ApplicationFailure && cause.type }).toEqual({
          name,
          label,
          cause: 'ApprovalRefused',
        });
        expect((cause as ApplicationFailure).message.length).toBeLessThan(2_000);
        await handle.signal(name, value);
      }
    }
    // The cancel Update only puts on the record who asks: hostile payloads are recorded (clipped), not obeyed.
    for (const value of [
      null,
      { proof: 'x', reason: 5 },
      { proof: 'p'.repeat(MEGABYTE) },
      { approver: 'a'.repeat(MEGABYTE) },
    ]) {
      const answer = await handle.executeUpdate<{ by: string }, [unknown]>('cancel', { args: [value] });
      expect(answer.by.length).toBeLessThan(2_000);
    }
    // The Signals were refused in turn: every one is listed (the most recent 50) and the plan still waits.
    const state = await until(
      () => handle.query(approvalQuery),
      (s: ApprovalState) => s.refused.length >= 2 * 2 * payloads(planHash).length - 1,
      'the refused Signals to be listed',
      120_000,
    );
    expect(state.status).toBe('waiting');
    expect(state.refused.every((refusal) => refusal.why.length < 2_000 && refusal.by.length < 500)).toBe(true);

    // The app lock's release Signal, sent by hand: ignored and recorded, whatever it carries; the lock holds.
    const lock = client.workflow.getHandle(`${env.RUNBOOK_LOCK_PREFIX}.${PRODUCTION}`);
    for (const value of [
      null,
      'release',
      { workflowId: { toString: 1 }, runId: 1 },
      { workflowId: 'a'.repeat(MEGABYTE) },
    ])
      await lock.signal('release', value);
    // Deeper than the TypeScript client can encode: the Temporal CLI sends it as typed.
    const deep = await temporalCommand([
      'workflow',
      'signal',
      '--workflow-id',
      lock.workflowId,
      '--name',
      'release',
      '--input',
      deepObjectJson(9000),
    ]);
    expect(deep).toMatchObject({ code: 0 });
    const deepUpdate = await temporalCommand([
      'workflow',
      'update',
      'execute',
      '--workflow-id',
      handle.workflowId,
      '--name',
      'approve',
      '--input',
      `{"planHash": ${deepArrayJson(9000)}, "proof": "x"}`,
    ]);
    expect(deepUpdate.code).not.toBe(0);
    expect(deepUpdate.stderr + deepUpdate.stdout).toMatch(/ApprovalRefused|no identity proof|does not open|refused/i);
    expect((await lock.describe()).status.name).toBe('RUNNING');
    expect((await lock.query(lockHolderQuery)).workflowId).toBe(handle.workflowId);

    // Still answering, still waiting, nothing changed on Heroku: a real rejection ends it.
    expect((await handle.query(progressQuery)).status).toBe('running');
    expect(await sim.effects()).toEqual([]);
    const rejector = new IdentityProver(PEOPLE.bob.token, new SealingKeys([sealing.privateKey]).sealer(), sim.url);
    const { proof } = await rejector.prove('reject', handle.workflowId, 'run');
    await handle.executeUpdate('reject', { args: [{ reason: 'fuzzed enough', proof }] });
    const outcome = await waitForRunbook(handle);
    expect(outcome.status === 'failed' && outcome.error.type).toBe('Rejected');
    expect(await sim.effects()).toEqual([]);
    // Six payloads of a megabyte were sent, and each is in the history once, as sent: none was copied into an
    // activity's input (a proof's verification) or a refusal.
    expect(await historyBytes(handle)).toBeLessThan(7 * MEGABYTE);
  });
});

describe('afterwards', () => {
  test('after all that, the worker is still up and a normal run from the CLI succeeds', async () => {
    expect(worker.exitCode).toBeNull();
    const { code, stdout } = await runCli(
      ['run', 'maintenance-on', '--env', 'staging', '--reason', 'after the fuzz'],
      env,
    );
    expect({ code, stdout }).toMatchObject({ code: 0 });
    expect((await sim.effects()).length).toBeGreaterThan(0);
  });
});
