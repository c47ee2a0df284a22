import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../../lib/paths';
import { uniqueTaskQueue } from './temporal';

export const RUNBOOK_BIN = path.join(PACKAGE_ROOT, 'bin', 'runbook.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function requireBuild(): void {
  if (!existsSync(path.join(PACKAGE_ROOT, 'dist', 'client', 'cli.js'))) {
    throw new Error(
      'dist/ is missing: the CLI tests run the compiled `runbook`; run them through `npm test` (it builds first).',
    );
  }
}

/** Runs the real `runbook` command (compiled, as users run it) and collects its output. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  requireBuild();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUNBOOK_BIN, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Starts `runbook worker` as its own process; resolves once it logs that it is polling. */
export function startWorkerProcess(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; output: () => string }> {
  requireBuild();
  const child = spawn(process.execPath, [RUNBOOK_BIN, 'worker'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk;
      if (output.includes('worker ready')) resolve({ child, output: () => output });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`worker exited (${code}) before it was ready:\n${output}`)));
  });
}

export function waitForExit(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** Starts `runbook …` and resolves once its stderr matches `until`: for commands that wait. */
export function startCli(
  args: string[],
  env: NodeJS.ProcessEnv,
  until: RegExp,
): Promise<{ child: ChildProcess; stderr: () => string }> {
  requireBuild();
  const child = spawn(process.execPath, [RUNBOOK_BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (chunk) => {
      stderr += chunk;
      if (until.test(stderr)) resolve({ child, stderr: () => stderr });
    });
    child.on('exit', (code) =>
      reject(new Error(`runbook ${args.join(' ')} exited (${code}) before printing ${until}:\n${stderr}`)),
    );
  });
}

/**
 * A worker process on its own task queue, lock prefix and audit trail, reaching `simulatorUrl` on the service
 * account's token with the private sealing key; and the environment for the CLI beside it: alice's login and the
 * public key only. Waits poll fast, as the simulated transfers and dynos finish in seconds.
 */
export async function startCliStack(
  name: string,
  simulator: { url: string; token: string },
  sealing: { privateKey: string; publicKey: string },
  cliToken: string,
): Promise<{ env: NodeJS.ProcessEnv; worker: ChildProcess }> {
  const env: NodeJS.ProcessEnv = {
    TEMPORAL_ADDRESS: process.env.RUNBOOK_TEST_TEMPORAL_ADDRESS,
    RUNBOOK_TASK_QUEUE: uniqueTaskQueue(name),
    RUNBOOK_WORKFLOW_BUNDLE: process.env.RUNBOOK_TEST_WORKFLOW_BUNDLE,
    RUNBOOK_LOCK_PREFIX: `app-lock-${randomUUID().slice(0, 8)}`,
    RUNBOOK_AUDIT_DB: path.join(process.env.RUNBOOK_TEST_DIR!, `audit-${name}-${randomUUID()}.db`),
    HEROKU_API_URL: simulator.url,
    HEROKU_DATA_API_URL: simulator.url,
    RUNBOOK_POLL_INITIAL_MS: '100',
    RUNBOOK_POLL_MAX_MS: '500',
    RUNBOOK_POLL_WATCH_MS: '2000',
  };
  const { child: worker } = await startWorkerProcess({
    ...env,
    HEROKU_API_KEY: simulator.token,
    RUNBOOK_SEAL_KEYS: sealing.privateKey,
  });
  return { env: { ...env, RUNBOOK_SEAL_PUBLIC_KEY: sealing.publicKey, HEROKU_API_KEY: cliToken }, worker };
}
