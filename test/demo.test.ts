// `npm run demo` is the README's main job: run it end to end (compiled, as the script runs it) on free ports and
// a throwaway data directory, and check what it printed and that it stopped everything it started.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PACKAGE_ROOT } from '../lib/paths';
import { freePort } from '../scripts/free-port';

test('the demo runs maintenance on and off on staging and a disaster recovery of production through Temporal, prints outcomes and the audit trail, and cleans up', async () => {
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
    expect(stdout).toMatch(
      /✔ maintenance-on succeeded\n {2}Maintenance is ON for csis-reconasia-bravo \(staging\): set MAINTENANCE_MODE on \(release v(\d+)\)/,
    );
    expect(stdout).toMatch(
      /✔ maintenance-off succeeded\n {2}Maintenance is OFF for csis-reconasia-bravo \(staging\): removed MAINTENANCE_MODE/,
    );
    expect(stdout).toContain(`Run: http://127.0.0.1:${uiPort}/namespaces/default/workflows/maintenance-on.staging.`);
    // Who ran them is proven with Heroku (the simulator's alice), whatever RUNBOOK_OPERATOR says.
    expect(stdout).toMatch(/alice@csis\.example {2}maintenance-on {2}started/);
    expect(stdout).toMatch(/alice@csis\.example {2}maintenance-off {2}succeeded: Maintenance is OFF/);
    expect(stdout).not.toContain('demo-tester');
    expect(stdout).toContain(`Temporal UI: http://127.0.0.1:${uiPort}/namespaces/default/workflows`);

    // The disaster recovery: the dry run's plan, the second person's approval, the recovery, what Heroku applied.
    expect(stdout).toMatch(
      /\$ runbook run disaster-recovery --env production --backup b016 --dry-run\n✔ disaster-recovery succeeded\n {2}Dry run, nothing changed\. Plan ([0-9a-f]{16})/,
    );
    const hash = /Dry run, nothing changed\. Plan ([0-9a-f]{16})/.exec(stdout)![1];
    expect(stdout).toContain(`$ HEROKU_API_KEY=bob-token runbook approve disaster-recovery.production.`);
    expect(stdout).toContain(`✔ Plan ${hash} approved by bob@csis.example.`);
    expect(stdout).toMatch(
      /✔ disaster-recovery succeeded\n {2}Restored b016 into csis-reconasia-alfa \(production\)'s DATABASE_URL \(r\d{3}\)\. Safety backup b\d{3} taken first\./,
    );
    expect(stdout).toMatch(/^ {2}restore: name "r\d{3}", backup "b016"$/m);
    expect(stdout).toMatch(/^ {2}dyno-exit: name "run\.\d+", status 0$/m);
    expect(stdout).toMatch(
      /bob@csis\.example {2}disaster-recovery {2}approval: plan [0-9a-f]{16} approved by bob@csis\.example: drill/,
    );

    // It stopped what it started: the dev server (by its PID file) and the worker.
    // The trail it printed verifies against the key the worker made, and the worker's log holds its copy.
    expect(stdout).toMatch(/`runbook audit verify`:\n {2}The audit trail .*audit\.db is intact: \d+ records/);
    expect(readFileSync(path.join(dataDir, 'worker.log'), 'utf8')).toMatch(/"audit":\{[^\n]*"event":"succeeded"/);
    expect(existsSync(path.join(dataDir, 'temporal.pid'))).toBe(false);
    expect(readFileSync(path.join(dataDir, 'worker.log'), 'utf8')).toContain('worker stopped');
    expect(existsSync(path.join(dataDir, 'temporal.db'))).toBe(true);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 180_000);
