import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PACKAGE_ROOT } from '../lib/paths';

export interface HerokuCliTarget {
  url: string;
  token: string;
}

export interface HerokuCliOptions {
  env?: NodeJS.ProcessEnv;
  input?: string;
  /**
   * The operator's HOME, kept across commands as a real one is (the CLI writes its first-run markers there once).
   * Default: a throwaway directory per command.
   */
  home?: string;
}

export interface HerokuCliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const HEROKU_BIN = path.join(PACKAGE_ROOT, 'node_modules', 'heroku', 'bin', 'run.js');

/**
 * Runs the official Heroku CLI (npm `heroku`, a dev dependency) against the simulator, set up as the reference
 * says (§1.2–1.3, §7.11–12): API and data API on the simulator's port, particleboard on the simulator too (else
 * every command waits on DNS retries), telemetry and update checks off, and a throwaway HOME because the CLI
 * writes a git credential helper and a terms-of-service marker there.
 */
export function herokuCli(
  sim: HerokuCliTarget,
  args: string[],
  options: HerokuCliOptions = {},
): Promise<HerokuCliResult> {
  return run(sim, process.execPath, ['--no-deprecation', HEROKU_BIN, ...args], options);
}

/**
 * Runs one line of a shell script that calls `heroku` (quoted as an operator types it, e.g. from
 * `runbook manual`), with `heroku` on the PATH as the same official CLI.
 */
export function herokuShell(
  sim: HerokuCliTarget,
  line: string,
  options: HerokuCliOptions = {},
): Promise<HerokuCliResult> {
  const bin = mkdtempSync(path.join(os.tmpdir(), 'heroku-cli-bin-'));
  const heroku = path.join(bin, 'heroku');
  writeFileSync(
    heroku,
    `#!/bin/sh
exec ${JSON.stringify(process.execPath)} --no-deprecation ${JSON.stringify(HEROKU_BIN)} "$@"
`,
  );
  chmodSync(heroku, 0o755);
  return run(sim, 'bash', ['-c', line], {
    ...options,
    env: { PATH: `${bin}:${process.env.PATH}`, ...options.env },
  }).finally(() => rmSync(bin, { recursive: true, force: true }));
}

function run(
  sim: HerokuCliTarget,
  command: string,
  args: string[],
  options: HerokuCliOptions,
): Promise<HerokuCliResult> {
  const home = options.home ?? mkdtempSync(path.join(os.tmpdir(), 'heroku-cli-home-'));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    XDG_DATA_HOME: path.join(home, '.local', 'share'),
    HEROKU_HOST: sim.url,
    HEROKU_DATA_HOST: '127.0.0.1',
    HEROKU_PARTICLEBOARD_URL: sim.url,
    HEROKU_API_KEY: sim.token,
    DISABLE_TELEMETRY: 'true',
    HEROKU_SKIP_NEW_VERSION_CHECK: 'true',
    // Otherwise every run leaves a detached `heroku update --autoupdate` process behind.
    HEROKU_DISABLE_AUTOUPDATE: 'true',
    TERM: 'dumb',
    NO_COLOR: '1',
    ...options.env,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (!options.home) rmSync(home, { recursive: true, force: true });
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}
