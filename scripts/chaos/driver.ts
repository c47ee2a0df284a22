// The chaos driver: operators launch runbooks with the CLI while workers are SIGKILLed, the Temporal dev server is
// crashed and restarted on its database, and Heroku (the simulator) answers with errors, throttling, resets, delays
// and changes it applied but did not confirm. Afterwards it gathers what happened — the simulator's record of
// applied changes and of every request, the audit trail, every history — and checks the invariants (invariants.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { approvalQuery } from '../../common/messages';
import { AuditKeyring } from '../../lib/audit/audit-keys';
import { openAuditLog } from '../../lib/audit/open-audit-log';
import { readableHistory } from '../../lib/readable-history';
import { verifyStore, walkChain } from '../../lib/audit/verify-chain';
import { pathPattern, prng } from '../../simulator/faults';
import { SEED_PEOPLE, type CallRecord } from '../../simulator';
import { readState, snapshotOf } from './app-snapshot';
import { printedOutcome, runbookCli, type CliResult } from './cli-runs';
import { checkInvariants, type ChaosEvidence, type RunRecord, type Violation } from './invariants';
import { faultKind, faultRules, NON_IDEMPOTENT, planRuns, type PlannedRun } from './scenario';
import { scanForSecrets } from './secret-scan';
import { LocalStack, sleep } from '../local-stack';

export interface ChaosOptions {
  runs: number;
  seed: number;
  /** Working directory (emptied first): the Temporal DB, the audit trail, logs, the report. */
  dir: string;
  /** Worker processes kept running (default 2). */
  workers?: number;
  /** Step runbooks launched at once on staging, taking turns on its lock (default 3). */
  stagingConcurrency?: number;
  /** Seconds between chaos events, drawn uniformly from this range (default [6, 14]). */
  chaosEverySeconds?: [number, number];
  /** The first chaos events, before the seeded ones (the suite's short run makes sure of one of each). */
  firstEvents?: Array<'kill' | 'restart'>;
  /** Simulated time runs this many times faster than the wall clock (default 10). */
  simulatorSpeed?: number;
  log?: (line: string) => void;
}

export interface ChaosReport {
  seed: number;
  runs: number;
  succeeded: number;
  failed: number;
  disasterRecoveries: { succeeded: number; failed: number };
  faults: Record<string, number>;
  workerKills: number;
  /** Of the kills, those made while Heroku held back the answer to a change it had applied. */
  killsAfterApply: number;
  temporalRestarts: number;
  /** Workers that refused to start because the dev server was down at that moment (started again). */
  workerStartsRefused: number;
  herokuRequests: number;
  /** Launches retried because the CLI could not start the run (its identity proof hit an injected fault). */
  launchRetries: number;
  secretScan: { secrets: number; placesScanned: number; bytesScanned: number };
  violations: Violation[];
  wallSeconds: number;
  runsDetail: Array<Pick<RunRecord, 'workflowId' | 'runbook' | 'status'> & { error?: string }>;
}

const CLI_DEADLINE_MS = 15 * 60_000;

const CHAOS_STACK = {
  taskQueue: 'chaos',
  env: {
    // The simulated transfers and dynos finish in seconds: waits poll accordingly.
    RUNBOOK_POLL_INITIAL_MS: '200',
    RUNBOOK_POLL_MAX_MS: '1000',
    RUNBOOK_POLL_WATCH_MS: '3000',
    // Injected 429s are not a real exhausted budget: pausing Heroku's usual 10 s after each would only make the
    // run long. The pause itself is tested in test/polling.test.ts.
    RUNBOOK_RATE_LIMIT_PAUSE_MS: '1000',
  },
};
const ALICE = SEED_PEOPLE.alice;
const BOB = SEED_PEOPLE.bob;

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => undefined);
  const began = Date.now();
  const random = prng(options.seed);
  const uniform = (low: number, high: number) => low + random() * (high - low);
  const stack = await LocalStack.start(options.dir, CHAOS_STACK);
  const counters = { kills: 0, killsAfterApply: 0, restarts: 0, launchRetries: 0 };
  const violations: Violation[] = [];
  const records: RunRecord[] = [];
  let connection: Connection | undefined;
  let chaosDone = false;
  try {
    await control(stack, 'PUT', 'clock', { speed: options.simulatorSpeed ?? 10 });
    const workers = options.workers ?? 2;
    for (let i = 0; i < workers; i++) stack.startWorker();
    for (const worker of stack.workers) await stack.readyAt(worker);
    log(`stack up: Temporal ${stack.temporalAddress}, simulator ${stack.simulator.url}, ${workers} workers`);
    connection = await Connection.connect({ address: stack.temporalAddress });
    const client = new Client({ connection });
    await control(stack, 'PUT', 'faults', { seed: options.seed, rules: faultRules() });

    const plan = planRuns(options.runs, options.seed, random);
    const launch = (run: PlannedRun) => launchRun(stack, client, run, counters, log);

    // Chaos, until every run has ended.
    const chaos = (async () => {
      const [low, high] = options.chaosEverySeconds ?? [6, 14];
      const killedFor = new Set<number>();
      const firstEvents = [...(options.firstEvents ?? [])];
      let nextEvent = Date.now() + uniform(low, high) * 1000;
      let lastRestart = 0;
      while (!chaosDone) {
        await sleep(150);
        // The worst moment: Heroku applied a change and holds its answer back; the worker waiting for it dies.
        const held = (await calls(stack)).find(
          (call) => call.status === null && isNonIdempotent(call) && !killedFor.has(call.seq),
        );
        if (held) {
          killedFor.add(held.seq);
          if (random() < 0.6) {
            log(`kill: every worker, while Heroku holds back its answer to ${held.method} ${held.path}`);
            for (const worker of stack.alive()) await stack.kill(worker);
            counters.kills++;
            counters.killsAfterApply++;
            await respawn(stack, workers, uniform(0.5, 2.5));
          }
          continue;
        }
        if (Date.now() < nextEvent) continue;
        nextEvent = Date.now() + uniform(low, high) * 1000;
        const forced = firstEvents.shift();
        const roll = forced === 'kill' ? 0 : forced === 'restart' ? 0.6 : random();
        if (roll < 0.5) {
          const alive = stack.alive();
          const victim = alive[Math.floor(random() * alive.length)];
          if (!victim) continue;
          log(`kill: worker ${victim.number} (SIGKILL)`);
          await stack.kill(victim);
          counters.kills++;
          await respawn(stack, workers, uniform(0.5, 3));
        } else if (roll < 0.75 && (forced === 'restart' || Date.now() - lastRestart > 30_000)) {
          log('crash: the Temporal dev server (SIGKILL), then a start on the same database');
          await stack.crashAndRestartTemporal(uniform(500, 3000));
          lastRestart = Date.now();
          counters.restarts++;
        }
        // Workers that died by themselves are replaced too, and reported.
        if (stack.alive().length < workers) await respawn(stack, workers, 0);
      }
    })();

    const production = plan.filter((run) => run.environment === 'production');
    const staging = plan.filter((run) => run.environment === 'staging');
    const productionLoop = (async () => {
      for (const run of production) {
        const before = snapshotOf(await readState(stack.simulator.url), run.app);
        const record = await launch(run);
        record.before = before;
        record.after = snapshotOf(await readState(stack.simulator.url), run.app);
        records.push(record);
      }
    })();
    const stagingLoop = (async () => {
      const queue = [...staging];
      const lanes = Array.from({ length: options.stagingConcurrency ?? 3 }, async () => {
        for (let run = queue.shift(); run; run = queue.shift()) records.push(await launch(run));
      });
      await Promise.all(lanes);
    })();
    try {
      await Promise.all([productionLoop, stagingLoop]);
    } finally {
      chaosDone = true;
      await chaos;
    }

    // Quiet now: no faults, every worker up, so what was left running can end and be read.
    const { rules: faultsFired } = await control<{ rules: ChaosEvidence['faultRules'] }>(stack, 'GET', 'faults');
    await control(stack, 'DELETE', 'faults');
    await respawn(stack, workers, 0);
    const evidence = await gather(stack, client, records, faultsFired, options);
    violations.push(...checkInvariants(evidence));
    for (const worker of stack.workers.filter((w) => w.unexpectedExit)) {
      violations.push({
        invariant: 'worker never crashes',
        run: null,
        detail: `worker ${worker.number} ended by itself (${worker.unexpectedExit}); see ${worker.logFile}`,
      });
    }
    const scan = scanForSecrets(evidence.secretPlaces, evidence.secrets);
    violations.push(...scan.violations);

    const byKind: Record<string, number> = {};
    for (const rule of evidence.faultRules) byKind[faultKind(rule)] = (byKind[faultKind(rule)] ?? 0) + rule.hits;
    const ended = (status: string, runbook?: string) =>
      records.filter((record) => record.status === status && (!runbook || record.runbook === runbook)).length;
    const report: ChaosReport = {
      seed: options.seed,
      runs: records.length,
      succeeded: ended('succeeded'),
      failed: records.length - ended('succeeded'),
      disasterRecoveries: {
        succeeded: ended('succeeded', 'disaster-recovery'),
        failed:
          records.filter((r) => r.runbook === 'disaster-recovery').length - ended('succeeded', 'disaster-recovery'),
      },
      faults: byKind,
      workerKills: counters.kills,
      killsAfterApply: counters.killsAfterApply,
      temporalRestarts: counters.restarts,
      workerStartsRefused: stack.workers.filter((worker) => worker.refusedStart).length,
      herokuRequests: evidence.calls.length,
      launchRetries: counters.launchRetries,
      secretScan: {
        secrets: evidence.secrets.length,
        placesScanned: evidence.secretPlaces.length,
        bytesScanned: scan.bytes,
      },
      violations,
      wallSeconds: Math.round((Date.now() - began) / 1000),
      runsDetail: records.map((record) => ({
        workflowId: record.workflowId,
        runbook: record.runbook,
        status: record.status,
        ...(record.error && { error: record.error.slice(0, 300) }),
      })),
    };
    writeFileSync(path.join(options.dir, 'evidence.json'), JSON.stringify(evidence.forFile(), null, 2));
    return report;
  } finally {
    chaosDone = true;
    await connection?.close().catch(() => undefined);
    await stack.stop();
  }
}

/** One operator's launch with `runbook run … --json`, approved by a second person where it asks for approval. */
async function launchRun(
  stack: LocalStack,
  client: Client,
  run: PlannedRun,
  counters: { launchRetries: number },
  log: (line: string) => void,
): Promise<RunRecord> {
  const args = ['run', run.runbook, '--env', run.environment, ...run.flags];
  args.push('--reason', 'chaos drill', '--workflow-id', run.workflowId, '--json');
  const record: RunRecord = {
    workflowId: run.workflowId,
    runbook: run.runbook,
    app: run.app,
    environment: run.environment,
    status: 'unknown',
    cli: [],
    ...(run.secret && { secret: run.secret }),
  };
  log(`launch: ${run.workflowId}`);
  const approver = run.runbook === 'disaster-recovery' ? approveWhenAsked(stack, client, run, record) : null;
  for (let attempt = 1; ; attempt++) {
    const result = await runbookCli(args, stack.cliEnv(ALICE.token), stack.cliLogFile, CLI_DEADLINE_MS);
    record.cli.push(summarizeCli(result));
    const outcome = printedOutcome(result.stdout);
    if (outcome) {
      record.status = outcome.status;
      record.runId = outcome.runId;
      record.error = outcome.error?.message;
      record.errorType = outcome.error?.type;
      break;
    }
    // No outcome printed: did the run start at all? Only a launch that started nothing is tried again.
    const started = await describeOrNull(client, run.workflowId);
    if (started || result.hung || attempt >= 5) {
      record.status = 'cli-lost';
      record.error = `the CLI printed no outcome (exit ${result.code ?? result.signal}${result.hung ? ', hung' : ''}): ${lastLine(result.stderr)}`;
      break;
    }
    counters.launchRetries++;
    log(`launch again: ${run.workflowId} (${lastLine(result.stderr)})`);
    await sleep(1000);
  }
  record.done = true;
  await approver;
  log(`ended: ${run.workflowId} ${record.status}${record.error ? ` — ${record.error.slice(0, 160)}` : ''}`);
  return record;
}

/** bob, watching for the plan, approves it with `runbook approve --yes` (again, if Heroku or Temporal failed him). */
async function approveWhenAsked(stack: LocalStack, client: Client, run: PlannedRun, record: RunRecord): Promise<void> {
  record.approvals = 0;
  while (!record.done) {
    await sleep(500);
    const approval = await client.workflow
      .getHandle(run.workflowId)
      .query(approvalQuery)
      .catch(() => null);
    if (approval?.status !== 'waiting') continue;
    const result = await runbookCli(
      ['approve', run.workflowId, '--yes', '--reason', 'chaos drill: plan read'],
      stack.cliEnv(BOB.token),
      stack.cliLogFile,
      CLI_DEADLINE_MS,
    );
    record.cli.push(summarizeCli(result));
    if (result.code === 0) record.approvals++;
  }
}

async function respawn(stack: LocalStack, workers: number, delaySeconds: number): Promise<void> {
  await sleep(delaySeconds * 1000);
  while (stack.alive().length < workers) stack.startWorker();
}

async function control<T = unknown>(stack: LocalStack, method: string, what: string, body?: unknown): Promise<T> {
  const response = await fetch(`${stack.simulator.url}/__simulator/${what}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`simulator ${method} ${what}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

function calls(stack: LocalStack): Promise<CallRecord[]> {
  return control<CallRecord[]>(stack, 'GET', 'calls');
}

function isNonIdempotent(call: CallRecord): boolean {
  return NON_IDEMPOTENT.some(
    ({ method, path: pattern }) => call.method === method && pathPattern(pattern).test(call.path),
  );
}

async function describeOrNull(client: Client, workflowId: string) {
  for (let i = 0; i < 20; i++) {
    try {
      return await client.workflow.getHandle(workflowId).describe();
    } catch (err) {
      if ((err as Error).name === 'WorkflowNotFoundError') return null;
      await sleep(1000); // the server is restarting
    }
  }
  return null;
}

function summarizeCli(result: CliResult): RunRecord['cli'][number] {
  return { code: result.code, signal: result.signal, hung: result.hung, stderrTail: lastLine(result.stderr) };
}

function lastLine(text: string): string {
  return (
    text
      .trim()
      .split('\n')
      .filter((line) => line.trim())
      .at(-1) ?? ''
  ).slice(0, 300);
}

/** Everything the invariants read, once every run has ended. */
async function gather(
  stack: LocalStack,
  client: Client,
  records: RunRecord[],
  faultRules: ChaosEvidence['faultRules'],
  options: ChaosOptions,
): Promise<ChaosEvidence & { forFile(): unknown }> {
  // Whatever is still open (a lock, a run the CLI lost) gets time to end now that nothing is failing.
  const deadline = Date.now() + 120_000;
  let open: Array<{ workflowId: string; type: string }> = [];
  for (;;) {
    open = [];
    for await (const execution of client.workflow.list({ query: 'ExecutionStatus = "Running"' }))
      open.push({ workflowId: execution.workflowId, type: execution.type });
    // The outside-changes Schedule is off; nothing of ours should run once every launch has ended.
    if (open.length === 0 || Date.now() > deadline) break;
    await sleep(2000);
  }
  const executions: ChaosEvidence['executions'] = [];
  const histories: Array<{ where: string; text: string }> = [];
  for await (const execution of client.workflow.list()) {
    executions.push({
      workflowId: execution.workflowId,
      runId: execution.runId,
      type: execution.type,
      status: execution.status.name,
      memo: execution.memo,
    });
    histories.push({
      where: `history of ${execution.workflowId}`,
      text: await readableHistory(client, execution.workflowId, execution.runId),
    });
  }
  const audit = openAuditLog(stack.auditDb);
  const auditEntries: ChaosEvidence['auditEntries'] = [];
  let chain;
  try {
    for await (const record of walkChain(audit, 1000)) auditEntries.push(record);
    const keyring = AuditKeyring.fromEnv([], { RUNBOOK_AUDIT_SIGNING_KEY_FILE: stack.auditKeyFile });
    chain = await verifyStore(audit, keyring);
  } finally {
    await audit.close();
  }
  const state = await readState(stack.simulator.url);
  const effects = await control<ChaosEvidence['effects']>(stack, 'GET', 'effects');
  const callLog = await calls(stack);
  // The secrets: every token that can reach Heroku (the worker's, the people's, each short-lived proof minted in
  // the run), the worker's private keys, each sealed value's plain text, and each value the worker generated.
  const staging = state.apps.find((app) => app.name === records.find((r) => r.environment === 'staging')?.app);
  const generated = staging?.config_vars.SECRET_KEY;
  const secrets = [
    stack.simulator.token,
    ALICE.token,
    BOB.token,
    ...state.authorizations.map((authorization) => authorization.access_token.token).filter(isString),
    ...records.map((record) => record.secret).filter(isString),
    ...(generated ? [generated] : []),
    stack.sealing.privateKey,
    readFileSync(stack.auditKeyFile, 'utf8').trim(),
  ];
  const files = [
    stack.cliLogFile,
    ...stack.workers.map((worker) => worker.logFile),
    path.join(options.dir, 'temporal.log'),
  ];
  const secretPlaces = [
    ...histories,
    ...files.map((file) => ({ where: path.basename(file), text: safeRead(file) })),
    { where: 'the audit trail', text: JSON.stringify(auditEntries) },
    { where: 'run results', text: JSON.stringify(records.map(({ secret: _secret, ...record }) => record)) },
  ];
  const evidence: ChaosEvidence = {
    records,
    executions,
    stillOpen: open,
    auditEntries,
    chain,
    effects,
    calls: callLog,
    faultRules,
    finalState: state,
    secrets,
    secretPlaces,
  };
  return {
    ...evidence,
    forFile: () => ({ ...evidence, secrets: `${secrets.length} secrets (not written)`, secretPlaces: undefined }),
  };
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function isString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}
