import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { ALL_SEARCH_ATTRIBUTES } from '../common/search-attributes';
import { PACKAGE_ROOT } from '../lib/paths';
import { freePort } from '../scripts/free-port';

const TEMPORAL_SH = path.join(PACKAGE_ROOT, 'scripts', 'temporal.sh');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs `scripts/temporal.sh <command>` without blocking this process (a server it holds keeps answering). */
function temporalSh(command: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [TEMPORAL_SH, command], { env: { ...process.env, ...env }, stdio: 'pipe' });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** The suite's own dev server: its port, and its PID (from globalSetup's PID file). */
function suiteServer(): { port: number; pid: number } {
  const address = process.env.RUNBOOK_TEST_TEMPORAL_ADDRESS!;
  return {
    port: Number(address.slice(address.lastIndexOf(':') + 1)),
    pid: Number(readFileSync(process.env.RUNBOOK_TEST_TEMPORAL_PID_FILE!, 'utf8')),
  };
}

async function expectSuiteServerHealthy(): Promise<void> {
  expect(alive(suiteServer().pid)).toBe(true);
  const connection = await Connection.connect({ address: process.env.RUNBOOK_TEST_TEMPORAL_ADDRESS });
  try {
    const { serverVersion } = await connection.workflowService.getSystemInfo({});
    expect(serverVersion).toBe('1.29.1');
  } finally {
    await connection.close();
  }
}

/**
 * A start that must refuse: its own PID file in a temp dir; afterwards, whatever it may have left is stopped by
 * the PID it wrote (never the suite's server, which no file of this test names).
 */
async function refusedStart(env: NodeJS.ProcessEnv): Promise<{ output: string; pidFile: string; logFile: string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'temporal-sh-'));
  const pidFile = path.join(dir, 'temporal.pid');
  const logFile = path.join(dir, 'temporal.log');
  try {
    const { code, output } = await temporalSh('start', {
      TEMPORAL_UI_PORT: '0',
      TEMPORAL_DB: '',
      TEMPORAL_PID_FILE: pidFile,
      ...env,
    });
    const left = existsSync(pidFile);
    const logged = existsSync(logFile);
    // The output rides along so that a failure shows what the script said.
    expect({ exitedNonZero: code !== null && code !== 0, output }).toEqual({ exitedNonZero: true, output });
    expect({ pidFileLeft: left, serverLogWritten: logged }).toEqual({ pidFileLeft: false, serverLogWritten: false });
    return { output, pidFile, logFile };
  } finally {
    if (existsSync(pidFile)) {
      const pid = Number(readFileSync(pidFile, 'utf8'));
      if (pid && pid !== suiteServer().pid && alive(pid)) process.kill(pid, 'SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the suite runs against a real dev server with every search attribute the runbooks write', async () => {
  const connection = await Connection.connect({ address: process.env.RUNBOOK_TEST_TEMPORAL_ADDRESS });
  try {
    const { customAttributes: keys } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
    const registered = Object.keys(keys ?? {});
    for (const key of ALL_SEARCH_ATTRIBUTES) expect(registered).toContain(key.name);
    const { serverVersion } = await connection.workflowService.getSystemInfo({});
    expect(serverVersion).toBe('1.29.1');
  } finally {
    await connection.close();
  }
});

test('scripts/temporal.sh starts a persistent server (search attributes, 30-day retention) and stops it by PID', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'temporal-sh-'));
  const port = await freePort();
  const env = {
    ...process.env,
    TEMPORAL_PORT: String(port),
    TEMPORAL_UI_PORT: '0',
    TEMPORAL_DB: path.join(dir, 'db', 'temporal.db'),
    TEMPORAL_PID_FILE: path.join(dir, 'temporal.pid'),
  };
  const sh = (command: string) =>
    execFileSync('bash', [TEMPORAL_SH, command], { env, encoding: 'utf8', stdio: 'pipe' });
  let pid = 0;
  try {
    sh('start');
    pid = Number(readFileSync(env.TEMPORAL_PID_FILE, 'utf8'));
    expect(alive(pid)).toBe(true);
    expect(existsSync(env.TEMPORAL_DB)).toBe(true);
    sh('start'); // a second start finds it running and starts nothing
    expect(Number(readFileSync(env.TEMPORAL_PID_FILE, 'utf8'))).toBe(pid);

    const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
    try {
      const { customAttributes: keys } = await connection.operatorService.listSearchAttributes({
        namespace: 'default',
      });
      for (const key of ALL_SEARCH_ATTRIBUTES) expect(Object.keys(keys ?? {})).toContain(key.name);
      const { config } = await connection.workflowService.describeNamespace({ namespace: 'default' });
      expect(Number(config?.workflowExecutionRetentionTtl?.seconds)).toBe(30 * 24 * 3600);
    } finally {
      await connection.close();
    }

    sh('stop');
    expect(alive(pid)).toBe(false);
    expect(existsSync(env.TEMPORAL_PID_FILE)).toBe(false);
  } finally {
    if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('scripts/temporal.sh stop leaves alone a process that is not its server', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'temporal-sh-'));
  const pidFile = path.join(dir, 'temporal.pid');
  try {
    // A stale PID file pointing at this (jest) process must not get it killed.
    writeFileSync(pidFile, String(process.pid));
    const out = execFileSync('bash', [TEMPORAL_SH, 'stop'], {
      env: { ...process.env, TEMPORAL_PID_FILE: pidFile },
      encoding: 'utf8',
      stdio: 'pipe',
    });
    expect(out).toBe('');
    expect(alive(process.pid)).toBe(true);
    expect(existsSync(pidFile)).toBe(false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('scripts/temporal.sh start refuses a frontend port another process listens on, and starts nothing', async () => {
  const squatter: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    squatter.once('error', reject);
    squatter.listen(0, '127.0.0.1', resolve);
  });
  try {
    const { port } = squatter.address() as { port: number };
    const { output } = await refusedStart({ TEMPORAL_PORT: String(port) });
    expect(output).toContain(`port ${port} is already in use`);
    expect(output).toContain('TEMPORAL_PORT');
    expect(output).toContain('started nothing');
    expect(squatter.listening).toBe(true);
  } finally {
    await new Promise((resolve) => squatter.close(resolve));
  }
});

test('scripts/temporal.sh start refuses a taken Web UI port, naming TEMPORAL_UI_PORT', async () => {
  const squatter: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    squatter.once('error', reject);
    squatter.listen(0, '127.0.0.1', resolve);
  });
  try {
    const { port } = squatter.address() as { port: number };
    const { output } = await refusedStart({ TEMPORAL_PORT: String(await freePort()), TEMPORAL_UI_PORT: String(port) });
    expect(output).toContain(`Web UI port ${port} is already in use`);
    expect(output).toContain('TEMPORAL_UI_PORT');
  } finally {
    await new Promise((resolve) => squatter.close(resolve));
  }
});

test("scripts/temporal.sh start refuses the port of another dev server (the suite's) and leaves that one alone", async () => {
  const { port } = suiteServer();
  const { output } = await refusedStart({ TEMPORAL_PORT: String(port) });
  expect(output).toContain(`port ${port} is already in use`);
  expect(output).toContain('TEMPORAL_PORT');
  expect(output).not.toContain('dev server running');
  await expectSuiteServerHealthy();
});

test('scripts/temporal.sh stop leaves alone a dev server that took over the PID after its file was written', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'temporal-sh-'));
  const pidFile = path.join(dir, 'temporal.pid');
  try {
    // A PID file from long ago whose PID now belongs to a dev server started later (the suite's): not ours.
    writeFileSync(pidFile, String(suiteServer().pid));
    const longAgo = new Date('2000-01-01T00:00:00Z');
    utimesSync(pidFile, longAgo, longAgo);
    const { code, output } = await temporalSh('stop', { TEMPORAL_PID_FILE: pidFile });
    expect({ code, output }).toEqual({ code: 0, output: expect.stringContaining('no dev server of ours is running') });
    await expectSuiteServerHealthy();
    expect(existsSync(pidFile)).toBe(false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
