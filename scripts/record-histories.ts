// Records workflow histories for the replay test (test/replay.test.ts): `npm run record-histories`.
// Each scenario runs a runbook for real — a throwaway dev server, the simulator, a worker on the current code — and
// its history is saved to test/histories/<scenario>.json. Re-record only when a workflow change is meant to be
// incompatible with runs already in flight (and say so in the change); otherwise the replay test is what catches it.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './free-port';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { AuditSigner } from '../lib/audit/audit-keys';
import { SqliteAuditLog } from '../lib/audit/sqlite-audit-log';
import { SealingKeys } from '../lib/sealing';
import { startRunbook, waitForRunbook } from '../client/launch';
import { RunbookConfig } from '../common/environments';
import type { RunbookId } from '../common/runbooks';
import { DEFAULT_SIMULATOR_TOKEN, SEED_PEOPLE, startSimulator } from '../simulator';
import { IdentityProver } from '../client/identity';
import { PACKAGE_ROOT } from '../lib/paths';
import {
  clientConnectionOptions,
  localTemporalEnv,
  nativeConnectionOptions,
  temporalConnectionFromEnv,
} from '../lib/temporal-connection';
import { createRunbookWorker } from '../worker/worker';
import { approvalQuery, approveSignal, approveUpdate } from '../common/messages';
import { buildWorkflowBundle } from './build-workflow-bundle';

export const HISTORIES_DIR = path.join(PACKAGE_ROOT, 'test', 'histories');

interface Scenario {
  name: string;
  runbook: RunbookId;
  input: Record<string, unknown>;
  /** Simulator control calls before the run (and undone after it): a failing command, say. */
  simulator?: { method: string; path: string; body?: unknown }[];
  /** What a second person does while the run waits (disaster recovery's approval). */
  during?: (handle: WorkflowHandle) => Promise<void>;
}

/** Waits until a disaster recovery's plan is offered for approval; returns its hash. */
async function planOffered(handle: WorkflowHandle): Promise<string> {
  for (;;) {
    const state = await handle.query(approvalQuery).catch(() => null);
    if (state?.status === 'waiting') return state.planHash!;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The worker's sealing key (proofs are sealed to it) and the simulator's people who start and approve runs. */
const SEALING = SealingKeys.generate();
let simulatorUrl = '';
const proverFor = (person: keyof typeof SEED_PEOPLE) =>
  new IdentityProver(SEED_PEOPLE[person].token, new SealingKeys([SEALING.privateKey]).sealer(), simulatorUrl);

async function approveAs(handle: WorkflowHandle, person: keyof typeof SEED_PEOPLE, planHash: string) {
  const { proof } = await proverFor(person).prove('approve', handle.workflowId, planHash);
  return handle.executeUpdate(approveUpdate, { args: [{ planHash, proof, reason: 'recording' }] });
}

/** Approves a disaster recovery's plan as a second person (bob, a team admin), once it is offered. */
async function approveAsSecondPerson(handle: WorkflowHandle): Promise<void> {
  await approveAs(handle, 'bob', await planOffered(handle));
}

/** Refused approvals first — the requester's own (an Update), an unproven one (a Signal) — then a second person's. */
async function refuseThenApprove(handle: WorkflowHandle): Promise<void> {
  const planHash = await planOffered(handle);
  await approveAs(handle, 'alice', planHash).catch(() => undefined);
  await handle.signal(approveSignal, { approver: 'bob', planHash });
  await approveAs(handle, 'bob', planHash);
}

/** Breaks the run's app lock from outside while it waits for approval: the run must notice and stop. */
async function breakTheLock(handle: WorkflowHandle): Promise<void> {
  await planOffered(handle);
  await handle.client.getHandle('app-lock.csis-reconasia-alfa').terminate('recording a broken lock');
}

const SCENARIOS: Scenario[] = [
  {
    name: 'maintenance-on-config-var',
    runbook: 'maintenance-on',
    input: { environment: 'staging', reason: 'recording' },
  },
  {
    name: 'maintenance-off-config-var',
    runbook: 'maintenance-off',
    input: { environment: 'staging', reason: 'recording' },
  },
  {
    name: 'maintenance-off-again-noop',
    runbook: 'maintenance-off',
    input: { environment: 'staging', reason: 'recording' },
  },
  {
    name: 'maintenance-on-both',
    runbook: 'maintenance-on',
    input: { environment: 'production-both', reason: 'recording' },
  },
  {
    name: 'maintenance-on-unknown-app',
    runbook: 'maintenance-on',
    input: { app: 'no-such-app-here', reason: 'recording' },
  },
  {
    name: 'scale-dynos',
    runbook: 'scale-dynos',
    input: { environment: 'staging', processes: { worker: '0' }, reason: 'recording' },
  },
  {
    name: 'set-config-vars-generate',
    runbook: 'set-config-vars',
    input: { environment: 'staging', generate: { SECRET_KEY: 'django-secret-key' }, reason: 'recording' },
  },
  {
    name: 'unset-config-vars',
    runbook: 'unset-config-vars',
    input: { environment: 'staging', keys: ['GOOGLE_ANALYTICS_KEY'], reason: 'recording' },
  },
  { name: 'capture-backup', runbook: 'capture-backup', input: { environment: 'production', reason: 'recording' } },
  {
    name: 'restore-backup',
    runbook: 'restore-backup',
    input: { environment: 'production', backup: 'b016', confirm: 'csis-reconasia-alfa', reason: 'recording' },
    // On production a restore needs a second person.
    during: approveAsSecondPerson,
  },
  {
    name: 'schedule-backups',
    runbook: 'schedule-backups',
    input: { environment: 'production', at: '02:00 America/New_York', reason: 'recording' },
  },
  {
    name: 'rebuild-search-index',
    runbook: 'rebuild-search-index',
    input: { environment: 'production', reason: 'recording' },
  },
  { name: 'app-status', runbook: 'app-status', input: { environment: 'production', reason: 'recording' } },
  {
    name: 'verify-backup-schedule',
    runbook: 'verify-backup-schedule',
    input: { environment: 'staging', reason: 'recording' },
  },
  {
    name: 'disaster-recovery-staging',
    runbook: 'disaster-recovery',
    input: { environment: 'staging', backup: 'b010', confirm: 'csis-reconasia-bravo', reason: 'recording' },
  },
  {
    name: 'disaster-recovery-production-approved',
    runbook: 'disaster-recovery',
    input: { environment: 'production', backup: 'b016', reason: 'recording' },
    during: approveAsSecondPerson,
  },
  {
    name: 'disaster-recovery-index-fails-compensates',
    runbook: 'disaster-recovery',
    input: { environment: 'staging', backup: 'b010', confirm: 'csis-reconasia-bravo', reason: 'recording' },
    simulator: [{ method: 'POST', path: 'dyno-outcomes', body: { pattern: 'rebuild_index', exitStatus: 1 } }],
  },
  {
    name: 'disaster-recovery-refused-then-approved',
    runbook: 'disaster-recovery',
    input: { environment: 'production', backup: 'b016', reason: 'recording' },
    during: refuseThenApprove,
  },
  {
    name: 'disaster-recovery-lock-broken',
    runbook: 'disaster-recovery',
    input: { environment: 'production', backup: 'b016', reason: 'recording' },
    during: breakTheLock,
  },
  {
    name: 'disaster-recovery-dry-run',
    runbook: 'disaster-recovery',
    input: { environment: 'production', backup: 'latest', dryRun: true, reason: 'recording' },
  },
];

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'record-histories-'));
  const port = await freePort();
  const temporalEnv = {
    ...process.env,
    TEMPORAL_PORT: String(port),
    TEMPORAL_UI_PORT: '0',
    TEMPORAL_DB: '',
    TEMPORAL_PID_FILE: path.join(dir, 'temporal.pid'),
  };
  const temporalSh = path.join(PACKAGE_ROOT, 'scripts', 'temporal.sh');
  execFileSync('bash', [temporalSh, 'start'], { env: temporalEnv, stdio: 'inherit' });
  const simulator = await startSimulator({ port: 0, token: DEFAULT_SIMULATOR_TOKEN });
  simulatorUrl = simulator.url;
  const audit = new SqliteAuditLog(path.join(dir, 'audit.db'), {
    signer: new AuditSigner(AuditSigner.generate().privateKey),
  });
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    // Its own dev server: plain gRPC, whatever profile, TLS or API key the environment has for another cluster.
    const settings = temporalConnectionFromEnv(localTemporalEnv(`127.0.0.1:${port}`));
    const nativeConnection = await NativeConnection.connect(nativeConnectionOptions(settings));
    const client = new Client({ connection: await Connection.connect(clientConnectionOptions(settings)) });
    const config = RunbookConfig.parse({
      environments: {
        staging: {
          app: 'csis-reconasia-bravo',
          backups: { schedule: '02:00 America/New_York' },
          disasterRecovery: {
            clearCommands: ['python manage.py shell -c "from django.core.cache import cache; cache.clear()"'],
          },
        },
        production: { app: 'csis-reconasia-alfa' },
        'production-both': { app: 'csis-reconasia-alfa', maintenance: { strategy: 'both' } },
      },
    });
    // Backups and the index rebuild take seconds instead of minutes.
    const control = (method: string, route: string, body?: unknown) =>
      fetch(`${simulator.url}/__simulator/${route}`, {
        method,
        headers: { 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    await control('PUT', 'clock', { speed: 60 });
    const worker = await createRunbookWorker({
      connection: nativeConnection,
      taskQueue: 'record-histories',
      workflowBundlePath: await buildWorkflowBundle(path.join(dir, 'bundle.js')),
      activities: {
        heroku: { apiUrl: simulator.url, dataApiUrl: simulator.url, apiKey: simulator.token },
        config,
        configSource: 'record-histories',
        audit,
        sealing: new SealingKeys([SEALING.privateKey]),
        polling: { initialMs: 100, maxMs: 500, watchMs: 2_000 },
      },
    });
    mkdirSync(HISTORIES_DIR, { recursive: true });
    await worker.runUntil(async () => {
      for (const scenario of SCENARIOS) {
        const handle = await startRunbook(client, scenario.runbook, scenario.input as never, {
          taskQueue: 'record-histories',
          workflowId: `replay-${scenario.name}`,
          prover: proverFor('alice'),
        });
        for (const call of scenario.simulator ?? []) await control(call.method, call.path, call.body);
        await scenario.during?.(handle);
        const outcome = await waitForRunbook(handle);
        if (scenario.simulator) await control('DELETE', 'dyno-outcomes');
        const history = await handle.fetchHistory();
        const { historyToJSON } = await import('@temporalio/common/lib/proto-utils');
        writeFileSync(path.join(HISTORIES_DIR, `${scenario.name}.json`), historyToJSON(history) + '\n');
        console.log(`${scenario.name}: ${outcome.status}, ${history.events?.length} events`);
      }
    });
    await nativeConnection.close();
    await client.connection.close();
  } finally {
    await audit.close();
    await simulator.close();
    execFileSync('bash', [temporalSh, 'stop'], { env: temporalEnv, stdio: 'inherit' });
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
