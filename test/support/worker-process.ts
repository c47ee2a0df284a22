import { spawn, type ChildProcess } from 'node:child_process';
import { RUNBOOK_BIN } from './cli';

/** A `runbook worker` process a test started, and everything it printed so far. */
export interface WorkerProcess {
  child: ChildProcess;
  output: () => string;
}

/**
 * Starts `runbook worker` with exactly `env` (and no outside-changes Schedule unless `env` asks for one); the child
 * goes onto `children`, for the file's clean-up.
 */
export function spawnWorker(env: NodeJS.ProcessEnv, children: ChildProcess[]): WorkerProcess {
  const child = spawn(process.execPath, [RUNBOOK_BIN, 'worker'], {
    env: { RUNBOOK_OUTSIDE_CHANGES_EVERY: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  return { child, output: () => output };
}

export function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** Waits (generously: the machine may be busy) for the worker to exit, or to print `what`; fails with its output. */
export async function waitFor(worker: WorkerProcess, what: 'exit' | string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (
      what === 'exit'
        ? worker.child.exitCode !== null || worker.child.signalCode !== null
        : worker.output().includes(what)
    )
      return;
    if (what !== 'exit' && worker.child.exitCode !== null)
      throw new Error(`the worker exited (${worker.child.exitCode}) before printing "${what}":\n${worker.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the worker neither exited nor printed "${what}" within ${timeoutMs / 1000} s:\n${worker.output()}`);
}

/** Kills (by PID) the workers on `children` that are still running, and empties it: a file's afterEach. */
export async function killWorkers(children: ChildProcess[]): Promise<void> {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid!, 'SIGKILL');
      await exited(child);
    }
  }
}
