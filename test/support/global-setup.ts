// Starts ONE Temporal dev server (in memory, no UI) for the whole suite and bundles the workflows once.
// Each test file then uses its own task queue against that server (see ./temporal.ts).
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../scripts/free-port';
import { buildWorkflowBundle } from '../../scripts/build-workflow-bundle';
import { PACKAGE_ROOT } from '../../lib/paths';

export default async function globalSetup(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'heroku-runbooks-test-'));
  const port = await freePort();
  const env = {
    ...process.env,
    TEMPORAL_PORT: String(port),
    TEMPORAL_UI_PORT: '0',
    TEMPORAL_DB: '',
    TEMPORAL_PID_FILE: path.join(dir, 'temporal.pid'),
  };
  execFileSync('bash', [path.join(PACKAGE_ROOT, 'scripts/temporal.sh'), 'start'], { env, stdio: 'inherit' });
  // Jest's test workers inherit this process's environment.
  // Workers started by tests make no outside-changes Schedule unless a test asks (test/outside-changes.test.ts).
  process.env.RUNBOOK_OUTSIDE_CHANGES_EVERY ??= 'off';
  process.env.RUNBOOK_TEST_DIR = dir;
  // The suite's audit key: the first worker (or harness) makes it; the CLIs verify with its .pub beside it.
  process.env.RUNBOOK_AUDIT_SIGNING_KEY_FILE = path.join(dir, 'audit-signing-key');
  process.env.RUNBOOK_TEST_TEMPORAL_ADDRESS = `127.0.0.1:${port}`;
  process.env.RUNBOOK_TEST_TEMPORAL_PID_FILE = env.TEMPORAL_PID_FILE;
  process.env.RUNBOOK_TEST_WORKFLOW_BUNDLE = await buildWorkflowBundle(path.join(dir, 'workflow-bundle.js'));
}
