// The demo behind `npm run demo`: a real Temporal dev server, the Heroku simulator and a runbook worker, then
// maintenance on and off on staging, and the disaster recovery of production from backup b016 — planned, approved
// by a second person, carried out — as operators would run them, printing what happened and where to see it.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { openAuditLog } from '../lib/audit/open-audit-log';
import { connectClient } from '../client/connection';
import { temporalSettingsFromEnv, workflowUrl } from '../lib/temporal-settings';
import { localTemporalEnv } from '../lib/temporal-connection';
import { formatOutcome } from '../client/format';
import { startRunbook, waitForRunbook } from '../client/launch';
import { IdentityProver } from '../client/identity';
import { Sealer, SealingKeys } from '../lib/sealing';
import { formatPlan } from '../common/disaster-recovery';
import { approvalQuery, approveUpdate, progressQuery } from '../common/messages';
import { DEFAULT_SIMULATOR_TOKEN, SEED_PEOPLE, startSimulator } from '../simulator';
import { PACKAGE_ROOT } from '../lib/paths';
import { AuditKeyring } from '../lib/audit/audit-keys';
import { verifyStore } from '../lib/audit/verify-chain';
import { describeReport } from '../client/commands/audit-verify';

// DEMO_DATA_DIR moves the demo's state (Temporal DB, simulator state, audit log, logs) elsewhere, e.g. for a test.
const DATA = path.resolve(process.env.DEMO_DATA_DIR || path.join(PACKAGE_ROOT, '.data'));
const AUDIT_DB = process.env.RUNBOOK_AUDIT_DB || path.join(DATA, 'audit.db');
const AUDIT_KEY_FILE = path.join(DATA, 'audit-signing-key');
const TEMPORAL_SH = path.join(PACKAGE_ROOT, 'scripts', 'temporal.sh');
const temporalPort = Number(process.env.TEMPORAL_PORT || 7233);
const uiPort = Number(process.env.TEMPORAL_UI_PORT || 8233);
const simulatorPort = Number(process.env.SIMULATOR_PORT || 5555);
const temporalEnv = {
  ...process.env,
  TEMPORAL_PORT: String(temporalPort),
  TEMPORAL_UI_PORT: String(uiPort),
  TEMPORAL_DB: path.join(DATA, 'temporal.db'),
  TEMPORAL_PID_FILE: path.join(DATA, 'temporal.pid'),
};

/** The second person of the demo's four-eyes approval. */
/** The simulator's people: alice operates the apps; bob, a team admin, approves. */
const REQUESTER = SEED_PEOPLE.alice;
const APPROVER = SEED_PEOPLE.bob;

interface SimulatorEffect {
  kind: string;
  app: string;
  [detail: string]: unknown;
}

/** One line per change the simulator applied, in Heroku's terms. */
function describeEffect(effect: SimulatorEffect): string {
  if (effect.kind === 'formation') {
    const before = effect.before as { quantity: number };
    const after = effect.after as { quantity: number };
    return `formation: ${String(effect.type)} ${before.quantity} → ${after.quantity}`;
  }
  const what = ['description', 'name', 'backup', 'command', 'status']
    .filter((key) => effect[key] !== undefined)
    .map((key) => `${key} ${JSON.stringify(effect[key])}`)
    .join(', ');
  return `${effect.kind}${what ? `: ${what}` : ''}`;
}

function temporal(command: 'start' | 'stop' | 'status'): boolean {
  try {
    execFileSync('bash', [TEMPORAL_SH, command], {
      env: temporalEnv,
      stdio: command === 'status' ? 'ignore' : 'inherit',
    });
    return true;
  } catch {
    return false;
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

async function main(): Promise<void> {
  const keepRunning = !process.argv.includes('--exit') && process.stdout.isTTY === true;
  mkdirSync(DATA, { recursive: true });
  const cleanups: Array<() => Promise<void> | void> = [];
  const cleanUp = async () => {
    for (const step of cleanups.reverse()) await step();
  };

  try {
    // 1. Temporal: persistent, so the runs stay visible in the UI across demos (stopped at the end if we started it).
    const alreadyRunning = temporal('status');
    if (!temporal('start')) throw new Error('could not start the Temporal dev server (see above)');
    if (!alreadyRunning) cleanups.push(() => void temporal('stop'));

    // 2. Heroku: the simulator, with its state kept in .data/ like a real platform's would be.
    // Its own token, never a real HEROKU_API_KEY that may be in the environment.
    const simulator = await startSimulator({
      port: simulatorPort,
      statePath: path.join(DATA, 'simulator.json'),
      token: DEFAULT_SIMULATOR_TOKEN,
    });
    cleanups.push(() => simulator.close());
    // Simulated time runs 20× faster than the wall clock: a 7-second restore and a 2-minute index rebuild take
    // moments. Everything else (the API, the transfers' and dynos' life cycles) is as Heroku does it.
    await fetch(`${simulator.url}/__simulator/clock`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ speed: 20 }),
    });
    console.log(
      `Heroku simulator: ${simulator.url} (apps csis-reconasia-alfa, csis-reconasia-bravo; simulated time 20× faster)`,
    );

    // 3. A worker, as its own process — the way it runs in production.
    const sealingKey = SealingKeys.generate();
    // The demo's own dev server: plain gRPC, whatever profile, TLS or API key the environment has for another cluster.
    const demoTemporalEnv = localTemporalEnv(`127.0.0.1:${temporalPort}`);
    const settings = { ...temporalSettingsFromEnv(demoTemporalEnv), uiUrl: `http://127.0.0.1:${uiPort}` };
    const workerLog = path.join(DATA, 'worker.log');
    const worker = spawn(process.execPath, [path.join(PACKAGE_ROOT, 'bin', 'runbook.js'), 'worker'], {
      env: {
        ...demoTemporalEnv,
        HEROKU_API_URL: simulator.url,
        HEROKU_DATA_API_URL: simulator.url,
        HEROKU_API_KEY: simulator.token,
        RUNBOOK_AUDIT_DB: AUDIT_DB,
        // The worker signs the trail with this key, made on its first start (the .pub beside it verifies).
        RUNBOOK_AUDIT_SIGNING_KEY_FILE: AUDIT_KEY_FILE,
        // The worker's private sealing key, made for this demo: the CLI side below has only its public half.
        RUNBOOK_SEAL_KEYS: sealingKey.privateKey,
      },
      stdio: ['ignore', 'ignore', openSync(workerLog, 'a')],
    });
    cleanups.push(() => stopChild(worker));
    console.log(
      `Worker: PID ${worker.pid}, task queue ${settings.taskQueue} (log: ${path.relative(process.cwd(), workerLog)})\n`,
    );

    // 4. The runbooks, as `runbook run maintenance-on --env staging` would start them.
    const client = await connectClient(settings);
    // Who runs it is proven with a Heroku login, as `runbook run` does with HEROKU_API_KEY: the simulator's alice
    // starts the runbooks and bob, a team admin, approves the recovery.
    const sealer = new Sealer(sealingKey.publicKey);
    const alice = new IdentityProver(REQUESTER.token, sealer, simulator.url);
    const bob = new IdentityProver(APPROVER.token, sealer, simulator.url);
    const operator = REQUESTER.email;
    const workflowIds: string[] = [];
    for (const name of ['maintenance-on', 'maintenance-off'] as const) {
      const handle = await startRunbook(
        client,
        name,
        { environment: 'staging', reason: 'npm run demo' },
        { taskQueue: settings.taskQueue, prover: alice },
      );
      console.log(`$ HEROKU_API_KEY=${REQUESTER.token} runbook run ${name} --env staging        # as ${operator}`);
      const outcome = await waitForRunbook(handle);
      workflowIds.push(outcome.workflowId);
      console.log(formatOutcome(name, outcome, workflowUrl(settings, outcome.workflowId, outcome.runId)) + '\n');
      if (outcome.status !== 'succeeded') process.exitCode = 1;
    }

    const effectsUrl = `${simulator.url}/__simulator/effects`;
    const effects = (await (await fetch(effectsUrl)).json()) as SimulatorEffect[];
    const releases = effects.filter((effect) => effect.kind === 'release').slice(-2);
    console.log('What Heroku (the simulator) applied:');
    for (const release of releases) console.log(`  ${release.app} v${release.version}: ${release.description}`);

    // 5. Disaster recovery of production from b016: the plan, a second person's approval, the recovery.
    const drInput = { environment: 'production', backup: 'b016', reason: 'npm run demo: restore drill' };
    console.log('\n$ runbook run disaster-recovery --env production --backup b016 --dry-run');
    const dryRun = await waitForRunbook(
      await startRunbook(
        client,
        'disaster-recovery',
        { ...drInput, dryRun: true },
        { taskQueue: settings.taskQueue, prover: alice },
      ),
    );
    workflowIds.push(dryRun.workflowId);
    console.log(
      formatOutcome('disaster-recovery', dryRun, workflowUrl(settings, dryRun.workflowId, dryRun.runId)) + '\n',
    );

    const before = effects.length;
    console.log(`$ runbook run disaster-recovery --env production --backup b016        # as ${operator}`);
    const recovery = await startRunbook(
      client,
      'disaster-recovery',
      { ...drInput, approvalTimeoutMinutes: 10 },
      { taskQueue: settings.taskQueue, prover: alice },
    );
    workflowIds.push(recovery.workflowId);
    // Interrupted (Ctrl-C) before it ends: cancel it, so it compensates instead of holding the app's lock.
    cleanups.push(async () => void (await recovery.cancel().catch(() => undefined)));
    let approval = await recovery.query(approvalQuery).catch(() => null);
    while (approval?.status !== 'waiting') {
      if (approval && approval.status !== 'planning') break;
      await new Promise((resolve) => setTimeout(resolve, 200));
      approval = await recovery.query(approvalQuery).catch(() => null);
    }
    if (approval?.status === 'waiting' && approval.plan && approval.planHash) {
      console.log(`  ${recovery.workflowId} waits for a second person to approve plan ${approval.planHash}.\n`);
      console.log(
        `$ HEROKU_API_KEY=${APPROVER.token} runbook approve ${recovery.workflowId} --yes --reason "drill"        # as ${APPROVER.email}`,
      );
      console.log(formatPlan(approval.plan, approval.planHash));
      const { proof } = await bob.prove('approve', recovery.workflowId, approval.planHash);
      const decision = await recovery.executeUpdate(approveUpdate, {
        args: [{ planHash: approval.planHash, proof, reason: 'drill' }],
      });
      console.log(`✔ Plan ${decision.planHash} approved by ${decision.by}.\n`);
    }
    const recovered = await waitForRunbook(recovery);
    console.log(
      formatOutcome('disaster-recovery', recovered, workflowUrl(settings, recovered.workflowId, recovered.runId)),
    );
    if (recovered.status !== 'succeeded') process.exitCode = 1;
    const progress = await recovery.query(progressQuery).catch(() => null);
    for (const step of progress?.steps ?? [])
      console.log(
        `    ${step.status === 'succeeded' ? '✔' : step.status === 'skipped' ? '–' : '✘'} ${step.title}${step.detail ? `: ${step.detail}` : ''}`,
      );
    console.log('\nWhat Heroku (the simulator) applied to csis-reconasia-alfa during the recovery:');
    const applied = ((await (await fetch(effectsUrl)).json()) as SimulatorEffect[])
      .slice(before)
      .filter((effect) => effect.app === 'csis-reconasia-alfa');
    for (const effect of applied) console.log(`  ${describeEffect(effect)}`);

    const audit = openAuditLog(AUDIT_DB, { readOnly: true });
    try {
      console.log(
        `\nThe audit trail (${path.relative(process.cwd(), audit.location)}; \`runbook audit --app csis-reconasia-alfa\`):`,
      );
      for (const workflowId of workflowIds) {
        for (const entry of (await audit.query({ workflowId })).reverse()) {
          console.log(`  ${entry.at}  ${entry.operator}  ${entry.runbook}  ${entry.event}: ${entry.summary}`);
        }
      }
      // What `runbook audit verify` checks: nobody changed a record since the worker signed it.
      const keyring = AuditKeyring.fromEnv([], { RUNBOOK_AUDIT_SIGNING_KEY_FILE: AUDIT_KEY_FILE });
      console.log(
        `\n\`runbook audit verify\`:\n  ${describeReport(audit.location, await verifyStore(audit, keyring), null).replace(/\n/g, '\n  ')}`,
      );
    } finally {
      await audit.close();
    }

    console.log(`\nTemporal UI: ${settings.uiUrl}/namespaces/default/workflows`);
    if (keepRunning) {
      console.log('Everything keeps running so you can look around. Press Ctrl-C to stop it all.');
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
    }
  } finally {
    await cleanUp();
  }
}

main().catch((err) => {
  console.error(`demo: ${(err as Error).message}`);
  process.exitCode = 1;
});
