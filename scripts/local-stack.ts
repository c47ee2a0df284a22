// A whole stack of our own for the chaos run and the benchmarks, every part real and every part started (and stopped,
// by PID) here: a Temporal dev server on a persistent SQLite database (so it can be crashed and started again on the
// same state), the Heroku simulator in this process, and runbook workers as their own processes, each writing its
// output to a file (the chaos run's secret scan reads them afterwards).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../lib/paths';
import { SealingKeys } from '../lib/sealing';
import { DEFAULT_SIMULATOR_TOKEN, startSimulator, type RunningSimulator, type SimulatorOptions } from '../simulator';
import { freePort } from './free-port';

const TEMPORAL_SH = path.join(PACKAGE_ROOT, 'scripts', 'temporal.sh');
const RUNBOOK_BIN = path.join(PACKAGE_ROOT, 'bin', 'runbook.js');
const INHERITED_NEVER = [
  'HEROKU_API_KEY',
  'RUNBOOK_SEAL_KEYS',
  'TEMPORAL_API_KEY',
  'TEMPORAL_PROFILE',
  'TEMPORAL_CONFIG_FILE',
];

export interface WorkerHandle {
  /** 1, 2, …: in the order started. */
  number: number;
  child: ChildProcess;
  logFile: string;
  /** It exited at start, saying Temporal did not answer (started while the server was down). */
  refusedStart?: boolean;
  /** Set when it exited without being killed by the driver. */
  unexpectedExit?: string;
  /** Asked to stop (SIGTERM): its exit is expected. */
  stopping?: boolean;
}

export interface LocalStackOptions {
  /** The task queue the workers poll and the CLI launches on. */
  taskQueue: string;
  /** How the simulator behaves (its token is always its own, never a real HEROKU_API_KEY). */
  simulator?: Omit<SimulatorOptions, 'token' | 'port'>;
  /** Set on every worker (and CLI) process, after the stack's own settings: polling, pauses, budgets. */
  env?: NodeJS.ProcessEnv;
}

export class LocalStack {
  readonly workers: WorkerHandle[] = [];
  private workerCount = 0;
  /** Where the CLI's output goes, for the secret scan. */
  readonly cliLogFile: string;
  readonly sealing = SealingKeys.generate();

  private constructor(
    readonly dir: string,
    readonly temporalPort: number,
    readonly simulator: RunningSimulator,
    private readonly options: LocalStackOptions,
    private stopping = false,
  ) {
    this.cliLogFile = path.join(dir, 'cli.log');
  }

  static async start(dir: string, options: LocalStackOptions): Promise<LocalStack> {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const temporalPort = await freePort();
    // Its own token, never a real HEROKU_API_KEY that may be in the environment.
    const simulator = await startSimulator({ ...options.simulator, port: 0, token: DEFAULT_SIMULATOR_TOKEN });
    const stack = new LocalStack(dir, temporalPort, simulator, options);
    try {
      stack.temporal('start');
    } catch (err) {
      await simulator.close();
      throw err;
    }
    return stack;
  }

  get taskQueue(): string {
    return this.options.taskQueue;
  }

  get temporalAddress(): string {
    return `127.0.0.1:${this.temporalPort}`;
  }

  get auditDb(): string {
    return path.join(this.dir, 'audit.db');
  }

  get auditKeyFile(): string {
    return path.join(this.dir, 'audit-signing-key');
  }

  private temporalEnv(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      TEMPORAL_PORT: String(this.temporalPort),
      TEMPORAL_UI_PORT: '0',
      TEMPORAL_DB: path.join(this.dir, 'temporal.db'),
      TEMPORAL_PID_FILE: path.join(this.dir, 'temporal.pid'),
      TEMPORAL_LOG_FILE: path.join(this.dir, 'temporal.log'),
    };
  }

  private temporal(command: 'start' | 'stop'): void {
    execFileSync('bash', [TEMPORAL_SH, command], { env: this.temporalEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
  }

  /**
   * Crashes the dev server (SIGKILL: no clean shutdown, as a host failure would) and starts it again on the same
   * database; resolves once it serves.
   */
  async crashAndRestartTemporal(downMs: number): Promise<void> {
    const pid = Number(readFileSync(path.join(this.dir, 'temporal.pid'), 'utf8').trim());
    process.kill(pid, 'SIGKILL');
    while (isAlive(pid)) await sleep(50);
    await sleep(downMs);
    this.temporal('start');
  }

  /** The environment a worker runs with: the service account's token and the private sealing key. */
  workerEnv(): NodeJS.ProcessEnv {
    return {
      ...this.commonEnv(),
      HEROKU_API_KEY: this.simulator.token,
      RUNBOOK_SEAL_KEYS: this.sealing.privateKey,
      RUNBOOK_AUDIT_DB: this.auditDb,
      RUNBOOK_AUDIT_SIGNING_KEY_FILE: this.auditKeyFile,
      RUNBOOK_OUTSIDE_CHANGES_EVERY: 'off',
      RUNBOOK_LOG_LEVEL: 'info',
      ...this.options.env,
    };
  }

  /** The environment of an operator's CLI: their own Heroku login and the worker's public sealing key only. */
  cliEnv(login: string): NodeJS.ProcessEnv {
    return {
      ...this.commonEnv(),
      HEROKU_API_KEY: login,
      RUNBOOK_SEAL_PUBLIC_KEY: this.sealing.publicKey,
      RUNBOOK_AUDIT_DB: this.auditDb,
    };
  }

  private commonEnv(): NodeJS.ProcessEnv {
    // Nothing of the machine's own Heroku login, sealing keys or Temporal Cloud settings reaches the chaos stack.
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !INHERITED_NEVER.includes(name)),
    );
    return {
      ...inherited,
      TEMPORAL_ADDRESS: this.temporalAddress,
      TEMPORAL_NAMESPACE: 'default',
      RUNBOOK_TASK_QUEUE: this.options.taskQueue,
      RUNBOOK_CONFIG: path.join(PACKAGE_ROOT, 'config', 'environments.json'),
      HEROKU_API_URL: this.simulator.url,
      HEROKU_DATA_API_URL: this.simulator.url,
    };
  }

  /** Starts one more worker process; its output goes to its own file. */
  startWorker(): WorkerHandle {
    const number = ++this.workerCount;
    const logFile = path.join(this.dir, `worker-${number}.log`);
    const out = openSync(logFile, 'a');
    const child = spawn(process.execPath, [RUNBOOK_BIN, 'worker'], {
      env: this.workerEnv(),
      stdio: ['ignore', out, out],
    });
    closeSync(out);
    const handle: WorkerHandle = { number, child, logFile };
    child.once('exit', (code, signal) => {
      if (this.stopping || handle.stopping || signal === 'SIGKILL') return;
      // Started while the dev server was down: the worker says so and exits, for its supervisor (here the driver)
      // to start it again. What it must never do is die once running.
      if (readFileSync(logFile, 'utf8').includes('The worker did not start')) handle.refusedStart = true;
      else handle.unexpectedExit = `exit ${code ?? signal}`;
    });
    this.workers.push(handle);
    return handle;
  }

  alive(): WorkerHandle[] {
    return this.workers.filter((worker) => worker.child.exitCode === null && worker.child.signalCode === null);
  }

  /** SIGKILL: the worker gets no chance to finish anything (what a crashed host or an OOM kill does). */
  async kill(worker: WorkerHandle): Promise<void> {
    if (worker.child.exitCode !== null || worker.child.signalCode !== null) return;
    const exited = new Promise((resolve) => worker.child.once('exit', resolve));
    process.kill(worker.child.pid!, 'SIGKILL');
    await exited;
  }

  /** Stops everything this stack started, by PID: workers, the dev server, the simulator. */
  /** When the worker logged "worker ready" (pino's timestamp), waiting for it; throws if it exits or never does. */
  async readyAt(worker: WorkerHandle, deadlineMs = 120_000): Promise<number> {
    const deadline = Date.now() + deadlineMs;
    for (;;) {
      const log = readFileSync(worker.logFile, 'utf8');
      const line = log.split('\n').find((candidate) => candidate.includes('"worker ready"'));
      if (line) return (JSON.parse(line) as { time: number }).time;
      if (worker.child.exitCode !== null || Date.now() > deadline)
        throw new Error(`worker ${worker.number} did not start: ${log.slice(-2000)}`);
      await sleep(20);
    }
  }

  /** SIGTERM, as a supervisor stops a worker (it drains), then SIGKILL after 10 s. */
  async stopWorker(worker: WorkerHandle): Promise<void> {
    if (worker.child.exitCode !== null || worker.child.signalCode !== null) return;
    worker.stopping = true;
    const exited = new Promise((resolve) => worker.child.once('exit', resolve));
    worker.child.kill('SIGTERM');
    const timer = setTimeout(() => worker.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const worker of this.alive()) await this.stopWorker(worker);
    try {
      this.temporal('stop');
    } finally {
      await this.simulator.close();
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
