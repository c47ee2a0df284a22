// Determinism guard: every recorded history (test/histories/, made by `npm run record-histories`) must replay on
// the current workflow code. A change that would break runs in flight fails here, not in production.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { PACKAGE_ROOT } from '../lib/paths';
import { connectTestServer } from './support/temporal';

const HISTORIES = path.join(PACKAGE_ROOT, 'test', 'histories');
const files = readdirSync(HISTORIES).filter((file) => file.endsWith('.json'));

beforeAll(async () => {
  // Installs the quiet runtime logger the other tests use.
  await (await connectTestServer()).close();
});

function load(file: string) {
  return historyFromJSON(JSON.parse(readFileSync(path.join(HISTORIES, file), 'utf8')));
}

test('there are recorded histories to replay', () => {
  expect(files.length).toBeGreaterThanOrEqual(14);
});

test.each(files)('%s replays on the current workflow code', async (file) => {
  await Worker.runReplayHistory(
    { workflowBundle: { codePath: process.env.RUNBOOK_TEST_WORKFLOW_BUNDLE! } },
    load(file),
    file,
  );
});

test('a history replayed against a different workflow is a determinism violation (the guard can fail)', async () => {
  const history = load('maintenance-on-config-var.json');
  // Same events, but the first workflow task now runs maintenanceOff: the commands it issues diverge at once.
  const started = history.events![0].workflowExecutionStartedEventAttributes!;
  started.workflowType = { name: 'maintenanceOff' };
  await expect(
    Worker.runReplayHistory(
      { workflowBundle: { codePath: process.env.RUNBOOK_TEST_WORKFLOW_BUNDLE! } },
      history,
      'mutated',
    ),
  ).rejects.toBeInstanceOf(DeterminismViolationError);
});
