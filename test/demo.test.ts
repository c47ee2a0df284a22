// `npm run demo` is the README's main job: run it end to end (compiled, as the script runs it) on free ports and
// a throwaway data directory, and check what it printed and that it stopped everything it started.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PACKAGE_ROOT } from '../worker/paths';
import { freePort } from '../scripts/free-port';

test('the demo runs maintenance on and off on staging through Temporal, prints the outcome and audit trail, and cleans up', async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'demo-'));
  try {
    const [temporalPort, uiPort, simulatorPort] = [await freePort(), await freePort(), await freePort()];
    const child = spawn(process.execPath, [path.join(PACKAGE_ROOT, 'dist', 'scripts', 'demo.js'), '--exit'], {
      env: {
        ...process.env,
        DEMO_DATA_DIR: dataDir,
        TEMPORAL_PORT: String(temporalPort),
        TEMPORAL_UI_PORT: String(uiPort),
        SIMULATOR_PORT: String(simulatorPort),
        RUNBOOK_OPERATOR: 'demo-tester',
        RUNBOOK_TASK_QUEUE: `demo-${temporalPort}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });

    expect(stdout).toContain(`Heroku simulator: http://127.0.0.1:${simulatorPort}`);
    expect(stdout).toMatch(/✔ maintenance-on succeeded\n {2}Maintenance is ON for csis-reconasia-bravo \(staging\): set MAINTENANCE_MODE on \(release v(\d+)\)/);
    expect(stdout).toMatch(/✔ maintenance-off succeeded\n {2}Maintenance is OFF for csis-reconasia-bravo \(staging\): removed MAINTENANCE_MODE/);
    expect(stdout).toContain(`Run: http://127.0.0.1:${uiPort}/namespaces/default/workflows/maintenance-on.staging.`);
    expect(stdout).toMatch(/demo-tester {2}maintenance-on {2}started/);
    expect(stdout).toMatch(/demo-tester {2}maintenance-off {2}succeeded: Maintenance is OFF/);
    expect(stdout).toContain(`Temporal UI: http://127.0.0.1:${uiPort}/namespaces/default/workflows`);

    // It stopped what it started: the dev server (by its PID file) and the worker.
    expect(existsSync(path.join(dataDir, 'temporal.pid'))).toBe(false);
    expect(readFileSync(path.join(dataDir, 'worker.log'), 'utf8')).toContain('worker stopped');
    expect(existsSync(path.join(dataDir, 'temporal.db'))).toBe(true);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
