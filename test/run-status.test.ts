import type { WorkflowHandle } from '@temporalio/client';
import { describeRun, formatRun, type RunView } from '../client/runs';
import type { ApprovalState } from '../common/disaster-recovery';
import { approvalQuery } from '../common/messages';
import { PRODUCTION, RunbookHarness } from './support/harness';
import { until } from './support/until';

// `runbook status` of a run that Temporal ended (terminated, timed out) while it waited: its queries replay it to
// that moment, which still says "waiting for approval"; the status must say how it ended instead.

// The waits below give up on their own, with what they saw, well before this.
jest.setTimeout(300_000);

let harness: RunbookHarness;
const started: WorkflowHandle[] = [];
const LINK = 'http://127.0.0.1:8233/namespaces/default/workflows/x';
const FAST = { heartbeatTimeoutSeconds: 5 };

beforeAll(async () => {
  // Production needs a second person's approval: a disaster recovery there plans, then waits.
  harness = await RunbookHarness.start({ environments: { production: { app: PRODUCTION } } });
});
afterAll(() => harness?.stop());
afterEach(async () => {
  for (const handle of started.splice(0)) await handle.terminate('test cleanup').catch(() => undefined);
});

/** The run as `runbook status` shows it, once a worker has answered its queries (a replay can be slow). */
const statusOf = (workflowId: string, state: string) =>
  until(
    () => describeRun(harness.client, workflowId).then(({ view }) => view),
    (view: RunView) => view.state === state && view.progress !== null,
    `${workflowId} to be ${state} with its steps readable`,
    90_000,
  );

function expectNoLiveLines(text: string): void {
  expect(text).not.toContain('Waiting for approval');
  expect(text).not.toContain('runbook approve');
  expect(text).not.toMatch(/^\s*Now:/m);
}

test('a run that timed out in Temporal shows that it timed out, not what it was doing', async () => {
  const handle = await harness.client.workflow.start('disasterRecovery', {
    args: [{ environment: 'production', backup: 'b016', operator: 'alice', timing: FAST }],
    taskQueue: harness.taskQueue,
    workflowId: `disaster-recovery.timed-out.${Date.now()}`,
    workflowRunTimeout: '8 seconds',
  });
  started.push(handle);

  const view = await statusOf(handle.workflowId, 'TIMED_OUT');
  expect(view.failure).toEqual({
    type: 'TimedOut',
    message: 'timed out in Temporal: it did not finish within its workflow run timeout (8 s)',
  });
  const text = formatRun(view, LINK);
  expect(text).toContain('State: TIMED_OUT');
  expect(text).toContain('Outcome: TimedOut: timed out in Temporal');
  expect(text).toContain('no compensation ran');
  expectNoLiveLines(text);
  expect(text).not.toMatch(/▶/);
});

test('a disaster recovery terminated while it waited for approval shows who terminated it and why', async () => {
  // waitForLock: the run of the test before may still hold the app's lock for a moment after it timed out.
  const handle = await harness.start('disaster-recovery', {
    environment: 'production',
    backup: 'b016',
    timing: FAST,
    waitForLock: true,
  });
  started.push(handle);
  await until(
    () => handle.query(approvalQuery),
    (state: ApprovalState) => state.status === 'waiting',
    'the plan to wait for approval',
  );
  // While it runs, status says what it waits for.
  const waiting = await until(
    () => describeRun(harness.client, handle.workflowId).then(({ view }) => formatRun(view, LINK)),
    (text) => text.includes('Waiting for approval'),
    'status to show the approval wait',
  );
  expect(waiting).toMatch(/^\s*Now: /m);

  await handle.terminate('hostile test');

  const view = await statusOf(handle.workflowId, 'TERMINATED');
  const identity = harness.client.options.identity;
  expect(identity).toBeTruthy();
  expect(view.failure).toEqual({
    type: 'Terminated',
    identity,
    reason: 'hostile test',
    message: `terminated in Temporal by ${identity}: hostile test`,
  });
  // `runbook status --json` prints the view: it says so too.
  expect(JSON.parse(JSON.stringify(view)).failure.message).toBe(`terminated in Temporal by ${identity}: hostile test`);

  const text = formatRun(view, LINK);
  expect(text).toContain('State: TERMINATED');
  expect(text).toContain(`Outcome: Terminated: terminated in Temporal by ${identity}: hostile test`);
  expectNoLiveLines(text);
  // The step it was in when it ended is not shown as still running.
  expect(text).toMatch(/■ approval\s+stopped when the run ended \(TERMINATED\)/);
  expect(text).not.toMatch(/▶/);
});
