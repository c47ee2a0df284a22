// Operators at the keyboard: every run of a chaos run is launched with the real `runbook` CLI (compiled, as users
// run it), as alice with her own Heroku login, and a disaster recovery is approved with `runbook approve` as bob.
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../../lib/paths';

const RUNBOOK_BIN = path.join(PACKAGE_ROOT, 'bin', 'runbook.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** It did not end by `deadlineMs` and was killed. */
  hung: boolean;
}

/** Runs `runbook <args>` to its end (or its deadline), appending everything it prints to `logFile`. */
export function runbookCli(
  args: string[],
  env: NodeJS.ProcessEnv,
  logFile: string,
  deadlineMs: number,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUNBOOK_BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let hung = false;
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, deadlineMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      appendFileSync(logFile, `$ runbook ${typed(args)}\n${stdout}${stderr}[exit ${code ?? signal}]\n\n`);
      resolve({ code, signal, stdout, stderr, hung });
    });
  });
}

/** The command line as the log shows it: a `--set` value is what the operator typed, not what the CLI printed. */
function typed(args: string[]): string {
  return args.map((arg, i) => (args[i - 1] === '--set' ? `${arg.split('=')[0]}=…` : arg)).join(' ');
}

/** The outcome `runbook run --json` printed, if it printed one. */
export function printedOutcome(
  stdout: string,
): { status: string; workflowId: string; runId: string; error?: { type?: string; message: string } } | null {
  const start = stdout.indexOf('{');
  if (start === -1) return null;
  try {
    const parsed = JSON.parse(stdout.slice(start)) as { status?: unknown; workflowId?: unknown };
    return typeof parsed.status === 'string' && typeof parsed.workflowId === 'string'
      ? (parsed as ReturnType<typeof printedOutcome> & object)
      : null;
  } catch {
    return null;
  }
}
