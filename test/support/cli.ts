import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../../lib/paths';

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
