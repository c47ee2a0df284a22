import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Client, WorkflowHandle, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import type { ActivityDependencies } from '../../activities';
import { AuditSigner } from '../../lib/audit/audit-keys';
import type { AuditLogCopy } from '../../lib/audit/log-copy';
import { SqliteAuditLog } from '../../lib/audit/sqlite-audit-log';
import { SealingKeys } from '../../lib/sealing';
import { IdentityProver } from '../../client/identity';
import type { ApprovalDecision } from '../../common/disaster-recovery';
import { startRunbook, waitForRunbook, type RunbookInput, type RunbookOutcome } from '../../client/launch';
import { RunbookConfig, type RunbookConfigFile } from '../../common/environments';
import type { RunbookId } from '../../common/runbooks';
import { TestSimulator } from './simulator';
import { connectTestServer, createTestWorker, uniqueTaskQueue } from './temporal';
import { stopPolling, until } from './until';
import type { ApprovalState } from '../../common/disaster-recovery';
import { approvalQuery, approveUpdate, progressQuery, rejectUpdate } from '../../common/messages';

export const STAGING = 'csis-reconasia-bravo';
export const PRODUCTION = 'csis-reconasia-alfa';

/** The simulator's people (simulator/seed): their Heroku emails and tokens. */
export const PEOPLE = {
  alice: { email: 'alice@csis.example', token: 'alice-token' },
  bob: { email: 'bob@csis.example', token: 'bob-token' },
  carol: { email: 'carol@csis.example', token: 'carol-token' },
} as const;
export type PersonName = keyof typeof PEOPLE;

/**
 * Access rules for test files that are not about identity: anyone may change the apps, so runs started without a
 * proof go ahead as they did before proofs existed (recorded unverified), and only disaster recovery on production
 * asks for a second person. test/identity.test.ts tests the defaults.
 */
export function openAccess(environment: string | null) {
  return {
    change: { anyone: true },
    approval: { runbooks: environment === 'production' ? ['disaster-recovery' as const] : [] },
  };
}

/**
 * Everything a runbook test file needs: the suite's dev server, its own simulator, an audit log and a worker on
 * its own task queue. `await RunbookHarness.start(…)` in beforeAll, `harness.stop()` in afterAll.
 */
export class RunbookHarness {
  private workerRun!: Promise<void>;
  /** The worker's RUNBOOK_SEAL_KEYS; `sealing.sealer()` seals values as the CLI would, with the public key. */
  readonly sealing = new SealingKeys([SealingKeys.generate().privateKey]);

  private constructor(
    readonly sim: TestSimulator,
    readonly server: Awaited<ReturnType<typeof connectTestServer>>,
    readonly audit: SqliteAuditLog,
    readonly config: RunbookConfig,
    readonly taskQueue: string,
    private worker?: Worker,
  ) {}

  static async start(
    configFile: RunbookConfigFile,
    options: { rateLimitPauseMs?: number; auditLogCopy?: AuditLogCopy } = {},
  ): Promise<RunbookHarness> {
    const sim = await TestSimulator.start();
    const server = await connectTestServer();
    const audit = new SqliteAuditLog(path.join(process.env.RUNBOOK_TEST_DIR!, `audit-${randomUUID()}.db`), {
      busyTimeoutMs: 100,
      signer: AuditSigner.fromEnv().signer,
    });
    // Its own app locks: test files share the dev server, and each has its own simulated apps. Environments that
    // say nothing of access are open (openAccess): the files about identity give their rules.
    const config = RunbookConfig.parse({
      lockPrefix: `app-lock-${randomUUID().slice(0, 8)}`,
      ...withOpenAccess(configFile),
    });
    const harness = new RunbookHarness(sim, server, audit, config, uniqueTaskQueue('runbooks'));
    harness.worker = await createTestWorker(
      server.nativeConnection,
      harness.taskQueue,
      harness.deps(sim.token, options),
    );
    harness.workerRun = harness.worker.run();
    return harness;
  }

  get client(): Client {
    return this.server.client;
  }

  /** The worker's dependencies, with another token if asked (for a second, misconfigured worker). */
  deps(
    apiKey: string,
    options: { rateLimitPauseMs?: number; sealing?: SealingKeys | null; auditLogCopy?: AuditLogCopy } = {},
  ): ActivityDependencies {
    return {
      auditLogCopy: options.auditLogCopy,
      sealing: options.sealing === null ? undefined : (options.sealing ?? this.sealing),
      heroku: { apiUrl: this.sim.url, dataApiUrl: this.sim.url, apiKey },
      config: this.config,
      configSource: 'test config',
      audit: this.audit,
      rateLimitPauseMs: options.rateLimitPauseMs ?? 300,
      // A locked audit store fails a run in seconds here (tests lock it on purpose); 20 s by default.
      auditWriteTimeoutMs: 3_000,
      // Waits poll fast in tests: the simulator's transfers and dynos finish in seconds (or less, sped up).
      polling: { initialMs: 100, maxMs: 500, watchMs: 2_000 },
    };
  }

  /** Proofs as the CLI makes them, for one of the simulator's people. */
  prover(person: PersonName): IdentityProver {
    return new IdentityProver(PEOPLE[person].token, this.sealing.sealer(), this.sim.url);
  }

  /**
   * Starts a runbook: unverified (claiming to be alice) unless `as` names who starts it, proven with their token.
   * A proven start waits until the worker has verified the proof, with the simulated clock at real speed
   * meanwhile: a proof lives 300 simulated seconds, 5 real ones at the tests' usual speed, and a busy machine
   * must not make it expire before the worker reads it.
   */
  async start<N extends RunbookId>(
    name: N,
    input: RunbookInput<N>,
    queue = this.taskQueue,
    options: { as?: PersonName } = {},
  ): Promise<WorkflowHandleWithFirstExecutionRunId> {
    if (!options.as) {
      return startRunbook(this.client, name, { operator: 'alice', ...input } as RunbookInput<N>, { taskQueue: queue });
    }
    const prover = this.prover(options.as);
    return this.atRealSpeed(async () => {
      const handle = await startRunbook(this.client, name, input, { taskQueue: queue, prover });
      await until(
        () => handle.query(progressQuery),
        (progress) => progress.operator !== 'unverified (claims: nobody)' && progress.operator !== 'unknown',
        'the worker to verify the start',
      );
      return handle;
    });
  }

  /** Approves the plan `handle` waits on as `person`, proven as `runbook approve` does. Refusals reject. */
  approve(
    handle: WorkflowHandle,
    person: PersonName,
    options: { planHash?: string; reason?: string; proofFor?: string } = {},
  ): Promise<ApprovalDecision> {
    return this.atRealSpeed(async () => {
      const planHash = options.planHash ?? (await handle.query(approvalQuery)).planHash!;
      const { proof } = await this.prover(person).prove('approve', handle.workflowId, options.proofFor ?? planHash);
      return handle.executeUpdate(approveUpdate, {
        args: [{ planHash, proof, ...(options.reason && { reason: options.reason }) }],
      });
    });
  }

  /** Rejects the plan `handle` waits on as `person`. */
  reject(handle: WorkflowHandle, person: PersonName, reason: string): Promise<ApprovalDecision> {
    return this.atRealSpeed(async () => {
      const { proof } = await this.prover(person).prove('reject', handle.workflowId, 'run');
      return handle.executeUpdate(rejectUpdate, { args: [{ reason, proof }] });
    });
  }

  /** Runs `body` with the simulated clock at real speed, then puts the speed back. */
  async atRealSpeed<T>(body: () => Promise<T>): Promise<T> {
    const { speed } = await this.sim.control<{ speed: number }>('GET', 'clock');
    if (speed === 1) return body();
    await this.sim.control('PUT', 'clock', { speed: 1 });
    try {
      return await body();
    } finally {
      await this.sim.control('PUT', 'clock', { speed });
    }
  }

  async run<N extends RunbookId, R = unknown>(
    name: N,
    input: RunbookInput<N>,
    queue = this.taskQueue,
    options: { as?: PersonName } = {},
  ): Promise<RunbookOutcome<R>> {
    return waitForRunbook<R>(await this.start(name, input, queue, options));
  }

  /** Runs a runbook that must succeed, returning its result. */
  async succeeded<R>(name: RunbookId, input: RunbookInput<RunbookId>): Promise<R> {
    const outcome = await this.run<RunbookId, R>(name, input);
    if (outcome.status !== 'succeeded') throw new Error(`${name} failed: ${outcome.error.message}`);
    return outcome.result;
  }

  /** Stops the file's polls first (they query through the worker), then everything the harness started. */
  /**
   * A production disaster recovery of b016 (unverified, claiming to be alice, unless `input` or `as` say
   * otherwise), once its plan waits for approval. Its handle goes onto `started`, for the file's clean-up.
   */
  async recoveryAwaitingApproval(
    started: WorkflowHandle[],
    input: Partial<RunbookInput<'disaster-recovery'>> = {},
    options: { as?: PersonName } = {},
  ): Promise<{ handle: WorkflowHandle; approval: ApprovalState }> {
    const handle = await this.start(
      'disaster-recovery',
      {
        environment: 'production',
        backup: 'b016',
        ...(!options.as && { operator: 'alice' }),
        timing: { heartbeatTimeoutSeconds: 5 },
        ...input,
      } as RunbookInput<'disaster-recovery'>,
      undefined,
      options,
    );
    started.push(handle);
    const approval = await until(
      () => handle.query(approvalQuery),
      (state) => state.status === 'waiting',
      'the plan to wait for approval',
    );
    return { handle, approval };
  }

  async stop(): Promise<void> {
    await stopPolling();
    this.worker?.shutdown();
    await this.workerRun;
    try {
      await this.server.close();
    } finally {
      await this.sim.close();
      await this.audit.close();
    }
  }
}

/** Environments that do not say who may change them are open to anyone (see openAccess). */
function withOpenAccess(configFile: RunbookConfigFile): RunbookConfigFile {
  const environments = Object.fromEntries(
    Object.entries(configFile.environments ?? {}).map(([name, settings]) => [
      name,
      { ...settings, access: settings.access ?? openAccess(name) },
    ]),
  );
  const defaults = { ...configFile.defaults, access: configFile.defaults?.access ?? openAccess(null) };
  return { ...configFile, environments, defaults };
}

/**
 * The usual life of a runbook test file: one harness for the file; before each test a fresh simulated world, its
 * time `speed` times faster; after each, the runs the test started are terminated (a test that failed half-way must
 * not leave a run holding its app's lock for the next). Push handles onto `started` to have them cleaned up.
 */
export function useRunbookHarness(
  config: RunbookConfigFile,
  { speed = 60 }: { speed?: number } = {},
): { readonly harness: RunbookHarness; readonly started: WorkflowHandle[] } {
  let harness: RunbookHarness | undefined;
  const started: WorkflowHandle[] = [];
  beforeAll(async () => {
    harness = await RunbookHarness.start(config);
  });
  afterAll(() => harness?.stop());
  beforeEach(async () => {
    await harness!.sim.reset();
    await harness!.sim.control('PUT', 'clock', { speed });
  });
  afterEach(async () => {
    for (const handle of started.splice(0)) await handle.terminate('test cleanup').catch(() => undefined);
  });
  return {
    get harness() {
      if (!harness) throw new Error('the harness starts in beforeAll: use it inside a test');
      return harness;
    },
    started,
  };
}
