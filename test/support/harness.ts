import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Client, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import type { ActivityDependencies } from '../../activities';
import { SqliteAuditLog } from '../../lib/audit/sqlite-audit-log';
import { SecretBox } from '../../lib/secret-box';
import { startRunbook, waitForRunbook, type RunbookInput, type RunbookOutcome } from '../../client/launch';
import { RunbookConfig, type RunbookConfigFile } from '../../common/environments';
import type { RunbookId } from '../../common/runbooks';
import { TestSimulator } from './simulator';
import { connectTestServer, createTestWorker, uniqueTaskQueue } from './temporal';
import { stopPolling } from './until';

export const STAGING = 'csis-reconasia-bravo';
export const PRODUCTION = 'csis-reconasia-alfa';

/**
 * Everything a runbook test file needs: the suite's dev server, its own simulator, an audit log and a worker on
 * its own task queue. `await RunbookHarness.start(…)` in beforeAll, `harness.stop()` in afterAll.
 */
export class RunbookHarness {
  private workerRun!: Promise<void>;
  /** The worker's RUNBOOK_SECRETS_KEY, for sealing values as the CLI would. */
  readonly secrets = new SecretBox(randomBytes(32));

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
  deps(apiKey: string, options: { rateLimitPauseMs?: number; secrets?: SecretBox | null } = {}): ActivityDependencies {
    return {
      secrets: options.secrets === null ? undefined : (options.secrets ?? this.secrets),
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
