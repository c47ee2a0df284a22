import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../../lib/paths';

/** Stops the dev server globalSetup started — by its PID file — and removes the suite's temp dir. */
export default async function globalTeardown(): Promise<void> {
  const pidFile = process.env.RUNBOOK_TEST_TEMPORAL_PID_FILE;
  if (pidFile) {
    execFileSync('bash', [path.join(PACKAGE_ROOT, 'scripts/temporal.sh'), 'stop'], {
      env: { ...process.env, TEMPORAL_PID_FILE: pidFile },
      stdio: 'inherit',
    });
  }
  if (process.env.RUNBOOK_TEST_DIR) rmSync(process.env.RUNBOOK_TEST_DIR, { recursive: true, force: true });
}
