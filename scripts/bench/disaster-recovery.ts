// Items 1–3: the production disaster recovery of the seed's runbook (restore b016, 9.59 MB; index rebuild 120 s),
// once by the engine — launched by alice with `runbook run`, approved by bob with `runbook approve` — and once as
// the shell script of official `heroku` commands that `runbook manual disaster-recovery` prints for the same
// recovery, each on a freshly reset simulator at one fixed speed. Then one long transfer (a capture the simulator
// paces at ~90 s) waited for by each side, the CLI's fixed 3 s polling against the engine's.
import type { Client } from '@temporalio/client';
import { approvalQuery } from '../../common/messages';
import { SEED_PEOPLE } from '../../simulator';
import { printedOutcome, runbookCli } from '../chaos/cli-runs';
import type { LocalStack } from '../local-stack';
import { herokuShell } from '../official-heroku-cli';
import { sleep } from '../local-stack';
import { aliceRuns, aliceRunsToSuccess, bobApproves } from './operators';
import {
  cliWait,
  engineWaits,
  operationsOf,
  readRunHistory,
  readSimulatorRecords,
  sentBy,
  totalMs,
  type Operation,
  type WaitFigures,
} from './timeline';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const PRODUCTION = 'csis-reconasia-alfa';

export interface EngineRun {
  workflowId: string;
  status: string;
  /** From `runbook run` to its printed outcome. */
  wallMs: number;
  /** The part of it spent waiting for bob: from the plan being up for approval to his approval's acceptance. */
  approvalWaitMs: number;
  /** wallMs less approvalWaitMs: the engine's own time. */
  engineMs: number;
  operations: Operation[];
  waits: WaitFigures[];
  herokuRequests: number;
}

export interface ScriptRun {
  commands: Array<{ line: string; ms: number; code: number | null }>;
  wallMs: number;
  operations: Operation[];
  waits: WaitFigures[];
  herokuRequests: number;
}

export interface DisasterRecoveryBench {
  engine: EngineRun;
  script: ScriptRun;
  /** The sum of the simulator's operation durations in the engine's run: the physical limit. */
  physicalLimitMs: number;
  longTransfer: { engine: WaitFigures; cli: WaitFigures; bytesPerSecond: number };
}

export async function benchDisasterRecovery(
  stack: LocalStack,
  client: Client,
  log: (line: string) => void,
): Promise<DisasterRecoveryBench> {
  await resetSimulator(stack);
  log('engine: production disaster recovery from b016 (alice launches, bob approves)');
  const engine = await engineDisasterRecovery(stack, client);
  log(`engine: ${engine.status} in ${(engine.wallMs / 1000).toFixed(1)} s`);
  const physicalLimitMs = totalMs(engine.operations);

  await resetSimulator(stack);
  log('script: the same recovery as `runbook manual disaster-recovery` prints it, with the official heroku CLI');
  const script = await scriptDisasterRecovery(stack);
  log(`script: ${(script.wallMs / 1000).toFixed(1)} s`);

  const longTransfer = await benchLongTransfer(stack, client, log);
  return { engine, script, physicalLimitMs, longTransfer };
}

async function engineDisasterRecovery(stack: LocalStack, client: Client): Promise<EngineRun> {
  const workflowId = `bench-dr-${Date.now()}`;
  const started = Date.now();
  let approvalSeenMs: number | null = null;
  let done = false;
  const approver = (async () => {
    while (!done) {
      const approval = await client.workflow
        .getHandle(workflowId)
        .query(approvalQuery)
        .catch(() => null);
      if (approval?.status === 'waiting') {
        approvalSeenMs ??= Date.now();
        const result = await bobApproves(stack, workflowId, 'bench: plan read');
        if (result.code === 0) return;
      }
      await sleep(100);
    }
  })();
  const result = await aliceRuns(stack, {
    runbook: 'disaster-recovery',
    environment: 'production',
    flags: ['--backup', 'b016'],
    reason: 'bench: restore drill',
    workflowId,
  });
  const wallMs = Date.now() - started;
  done = true;
  await approver;
  const outcome = printedOutcome(result.stdout);
  if (outcome?.status !== 'succeeded')
    throw new Error(`the engine's disaster recovery did not succeed: ${result.stdout.slice(-1500)}${result.stderr}`);
  const history = await readRunHistory(client, workflowId);
  const accepted = history.approvalsAcceptedMs[0];
  const approvalWaitMs = approvalSeenMs !== null && accepted ? Math.max(0, accepted - approvalSeenMs) : 0;
  const records = await readSimulatorRecords(stack.simulator.url);
  const operations = operationsOf(records, PRODUCTION, (call) => sentBy(call, workflowId));
  return {
    workflowId,
    status: outcome.status,
    wallMs,
    approvalWaitMs,
    engineMs: wallMs - approvalWaitMs,
    operations,
    waits: engineWaits(PRODUCTION, operations, history, records.calls),
    herokuRequests: records.calls.filter((call) => sentBy(call, workflowId)).length,
  };
}

async function scriptDisasterRecovery(stack: LocalStack): Promise<ScriptRun> {
  const records = await readSimulatorRecords(stack.simulator.url);
  const formation = records.state.apps.find((app) => app.name === PRODUCTION)!.formation;
  const processFlags = formation
    .filter((process) => process.type === 'worker' || process.type === 'scheduler')
    .flatMap((process) => ['--process', `${process.type}=${process.quantity}`]);
  const manual = await runbookCli(
    ['manual', 'disaster-recovery', '--env', 'production', '--backup', 'b016', ...processFlags, '--json'],
    stack.cliEnv(SEED_PEOPLE.alice.token),
    stack.cliLogFile,
    60_000,
  );
  if (manual.code !== 0) throw new Error(`runbook manual failed: ${manual.stderr}`);
  const lines = (JSON.parse(manual.stdout) as { steps: Array<{ commands: string[] }> }).steps.flatMap(
    (step) => step.commands,
  );
  const home = mkdtempSync(path.join(os.tmpdir(), 'bench-operator-home-'));
  const target = { url: stack.simulator.url, token: SEED_PEOPLE.alice.token };
  const env = { NODE_EXTRA_CA_CERTS: stack.simulator.caCertPath };
  const commands: ScriptRun['commands'] = [];
  const since = Date.now();
  try {
    for (const line of lines) {
      const startMs = Date.now();
      const result = await herokuShell(target, line, { env, home });
      const endMs = Date.now();
      commands.push({ line, ms: endMs - startMs, code: result.code });
      if (result.code !== 0) throw new Error(`\`${line}\` failed (exit ${result.code}): ${result.stderr.slice(-800)}`);
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
  const wallMs = Date.now() - since;
  const after = await readSimulatorRecords(stack.simulator.url);
  const cli = (call: { sender: string | null; receivedAt: string }) =>
    call.sender === null && Date.parse(call.receivedAt) >= since;
  const operations = operationsOf(after, PRODUCTION, cli);
  const waits = operations.map((operation) => cliWait(PRODUCTION, operation, after.calls));
  return { commands, wallMs, operations, waits, herokuRequests: after.calls.filter(cli).length };
}

/** A capture Heroku takes ~90 s over: `heroku pg:backups:capture` (3 s polls) against the capture-backup runbook. */
async function benchLongTransfer(
  stack: LocalStack,
  client: Client,
  log: (line: string) => void,
): Promise<DisasterRecoveryBench['longTransfer']> {
  const bytesPerSecond = 110_000; // 9.59 MB in ~90 s
  await resetSimulator(stack, { transferBytesPerSecond: bytesPerSecond });
  log('long transfer: the capture-backup runbook on production, ~90 s');
  const workflowId = `bench-capture-${Date.now()}`;
  await aliceRunsToSuccess(stack, {
    runbook: 'capture-backup',
    environment: 'production',
    reason: 'bench: long wait',
    workflowId,
  });
  let records = await readSimulatorRecords(stack.simulator.url);
  const [engineCapture] = operationsOf(records, PRODUCTION, (call) => sentBy(call, workflowId));
  const engine = engineWaits(PRODUCTION, [engineCapture], await readRunHistory(client, workflowId), records.calls)[0];

  await resetSimulator(stack, { transferBytesPerSecond: bytesPerSecond });
  log('long transfer: `heroku pg:backups:capture` on production, ~90 s');
  const target = { url: stack.simulator.url, token: SEED_PEOPLE.alice.token };
  const startMs = Date.now();
  const capture = await herokuShell(target, `heroku pg:backups:capture DATABASE_URL -a ${PRODUCTION}`);
  if (capture.code !== 0) throw new Error(`heroku pg:backups:capture failed: ${capture.stderr.slice(-800)}`);
  records = await readSimulatorRecords(stack.simulator.url);
  const [cliCapture] = operationsOf(
    records,
    PRODUCTION,
    (call) => call.sender === null && Date.parse(call.receivedAt) >= startMs,
  );
  return { engine, cli: cliWait(PRODUCTION, cliCapture, records.calls), bytesPerSecond };
}

/** The seed's state again, and the data API's pace (simulated: the stack's speed applies). */
async function resetSimulator(stack: LocalStack, dataApi: Record<string, unknown> = {}): Promise<void> {
  const call = async (method: string, what: string, body?: unknown) => {
    const response = await fetch(`${stack.simulator.url}/__simulator/${what}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`simulator ${method} ${what}: ${response.status} ${await response.text()}`);
  };
  await call('POST', 'reset');
  if (Object.keys(dataApi).length > 0) await call('PUT', 'data-api', dataApi);
}
