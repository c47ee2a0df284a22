import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Client, WorkflowHandle, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import type { ActivityDependencies } from '../../activities';
import { SqliteAuditLog } from '../../lib/audit/sqlite-audit-log';
import { SealingKeys } from '../../lib/sealing';
import { startRunbook, waitForRunbook, type RunbookInput, type RunbookOutcome } from '../../client/launch';
import { RunbookConfig, type RunbookConfigFile } from '../../common/environments';
import type { RunbookId } from '../../common/runbooks';
import { TestSimulator } from './simulator';
import { connectTestServer, createTestWorker, uniqueTaskQueue } from './temporal';
import { stopPolling, until } from './until';
import type { ApprovalState } from '../../common/disaster-recovery';
import { approvalQuery } from '../../common/messages';

export const STAGING = 'csis-reconasia-bravo';
export const PRODUCTION = 'csis-reconasia-alfa';

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
    options: { rateLimitPauseMs?: number } = {},
  ): Promise<RunbookHarness> {
    const sim = await TestSimulator.start();
    const server = await connectTestServer();
    const audit = new SqliteAuditLog(path.join(process.env.RUNBOOK_TEST_DIR!, `audit-${randomUUID()}.db`), {
      busyTimeoutMs: 100,
    });
    // Its own app locks: test files share the dev server, and each has its own simulated apps.
    const config = RunbookConfig.parse({ lockPrefix: `app-lock-${randomUUID().slice(0, 8)}`, ...configFile });
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
    options: { rateLimitPauseMs?: number; sealing?: SealingKeys | null } = {},
  ): ActivityDependencies {
    return {
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

  start<N extends RunbookId>(
    name: N,
    input: RunbookInput<N>,
    queue = this.taskQueue,
  ): Promise<WorkflowHandleWithFirstExecutionRunId> {
    return startRunbook(this.client, name, { operator: 'alice', ...input } as RunbookInput<N>, { taskQueue: queue });
  }

  async run<N extends RunbookId, R = unknown>(
    name: N,
    input: RunbookInput<N>,
    queue = this.taskQueue,
  ): Promise<RunbookOutcome<R>> {
    return waitForRunbook<R>(await this.start(name, input, queue));
  }

  /** Runs a runbook that must succeed, returning its result. */
  async succeeded<R>(name: RunbookId, input: RunbookInput<RunbookId>): Promise<R> {
    const outcome = await this.run<RunbookId, R>(name, input);
    if (outcome.status !== 'succeeded') throw new Error(`${name} failed: ${outcome.error.message}`);
    return outcome.result;
  }

  /** Stops the file's polls first (they query through the worker), then everything the harness started. */
  /**
   * A production disaster recovery of b016 (as alice unless `input` says otherwise), once its plan waits for
   * approval. Its handle goes onto `started`, for the file's clean-up.
   */
  async recoveryAwaitingApproval(
    started: WorkflowHandle[],
    input: Partial<RunbookInput<'disaster-recovery'>> = {},
  ): Promise<{ handle: WorkflowHandle; approval: ApprovalState }> {
    const handle = await this.start('disaster-recovery', {
      environment: 'production',
      backup: 'b016',
      operator: 'alice',
      timing: { heartbeatTimeoutSeconds: 5 },
      ...input,
    } as RunbookInput<'disaster-recovery'>);
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
