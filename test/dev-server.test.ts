import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
