import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { waitForRunbook } from '../client/launch';
import { approveSignal } from '../common/messages';
import { REGISTERED_WORKFLOW_TYPES, closestWorkflowType } from '../common/workflow-types';
import { Approver, HerokuApp, Operator, RunbookName, RunbookOutcome } from '../common/search-attributes';
import * as workflows from '../workflows';
import { PRODUCTION, STAGING, useRunbookHarness } from './support/harness';
import { until } from './support/until';

// What the Temporal UI shows of a run, read back through the client: its current details (the "User Metadata"
// tab), static summary and details, activity summaries, search attributes, and how unknown types and bad input fail.
// test/ui-browser.test.ts does the same in a real browser.
const files = useRunbookHarness({
  environments: { production: { app: PRODUCTION }, staging: { app: STAGING } },
});
const started = files.started;
const FAST = { heartbeatTimeoutSeconds: 5 };

/** The run's current details, as the UI reads them (the SDK's `__temporal_workflow_metadata` query). */
async function currentDetails(handle: WorkflowHandle): Promise<string> {
  const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
  return metadata.currentDetails ?? '';
}

async function searchAttributes(handle: WorkflowHandle) {
  const { typedSearchAttributes } = await handle.describe();
  return {
    runbook: typedSearchAttributes.get(RunbookName),
    app: typedSearchAttributes.get(HerokuApp),
    operator: typedSearchAttributes.get(Operator),
    outcome: typedSearchAttributes.get(RunbookOutcome),
    approver: typedSearchAttributes.get(Approver),
  };
}

/** Every activity's summary in the run's history, in order. */
async function activitySummaries(handle: WorkflowHandle): Promise<string[]> {
  const history = await handle.fetchHistory();
  return (
    (history.events ?? [])
      // Activities, and local activities (the audit writes), whose summary is on their marker.
      .filter(
        (event) =>
          event.activityTaskScheduledEventAttributes ||
          event.markerRecordedEventAttributes?.markerName === 'core_local_activity',
      )
      .map((event) => {
        const data = event.userMetadata?.summary?.data;
        return data ? (JSON.parse(Buffer.from(data).toString()) as string) : '(none)';
      })
  );
}

test('a maintenance run: static summary and details from the CLI, a step table and the outcome in its current details, a summary on every activity', async () => {
  const handle = await files.harness.start('maintenance-on', {
    environment: 'staging',
    reason: 'deploying the map fix',
  });
  started.push(handle);
  const outcome = await waitForRunbook(handle);
  expect(outcome.status).toBe('succeeded');
  const details = await currentDetails(handle);
  expect(details).toContain('**maintenance-on** on **csis-reconasia-bravo (staging)**');
  expect(details).toContain('Reason: deploying the map fix');
  expect(details).toContain('**Succeeded.**');
  expect(details).toMatch(/\| ✔ \| .+ \| \d+ s \|/);
  expect(details).not.toContain('▶');

  const description = await handle.describe();
  expect(await description.staticSummary()).toContain('maintenance-on on staging by unverified (claims: alice)');
  const staticDetails = await description.staticDetails();
  expect(staticDetails).toContain('**Environment:** staging');
  expect(staticDetails).toContain('**Reason:** deploying the map fix');

  const summaries = await activitySummaries(handle);
  expect(summaries.length).toBeGreaterThan(3);
  expect(summaries).not.toContain('(none)');
  expect(summaries).toContain('resolve environment staging in the environments file');
  expect(summaries.some((s) => s.startsWith('audit started: maintenance-on started by'))).toBe(true);
  expect(summaries.some((s) => /^(set|turn) .*csis-reconasia-bravo/.test(s))).toBe(true);
});

test('a waiting DR shows its plan, hash first, and how to approve from the UI and the CLI; a Signal approval is answered in the current details; refusals never name the expected hash', async () => {
  const { handle, approval } = await files.harness.recoveryAwaitingApproval(started, { timing: FAST });
  const hash = approval.planHash!;
  const details = await until(
    () => currentDetails(handle),
    (text) => text.includes('Waiting for approval'),
    'the approval in the current details',
  );
  expect(details).toContain(`### Waiting for approval — plan hash \`${hash}\``);
  expect(details).toContain('Send an Update** → `approve`');
  expect(details).toContain(`{"planHash": "${hash}", "proof": "<the proof>", "reason": "<why>"}`);
  expect(details).toContain(`runbook approve ${handle.workflowId}`);
  expect(details).toContain(`runbook proof approve ${handle.workflowId} --plan-hash ${hash}`);
  // The plan as the CLI prints it, its hash first.
  expect(details).toContain(`Plan hash: ${hash}\nDisaster recovery of csis-reconasia-alfa (production)`);
  expect(details).toMatch(/\| ▶ \| [^|]+ \| \d+ s \(since \d\d:\d\d:\d\d UTC\) \| plan [0-9a-f]{16} waits/);

  // An unproven Signal: refused, and the refusal visible at once (no query, no audit search).
  await handle.signal(approveSignal, { planHash: hash, approver: 'eve' } as never);
  const refused = await until(
    () => currentDetails(handle),
    (text) => text.includes('Last refused'),
    'the refusal in the current details',
  );
  expect(refused).toMatch(/Last refused \([^)]*unverified \(claims: eve\)\): no identity proof/);

  // A stale hash, proven: the refusal names the hash sent, never the one awaiting approval.
  const stale = await files.harness.approve(handle, 'bob', { planHash: '0123456789abcdef' }).then(
    () => '',
    (err: Error & { cause?: Error }) => err.cause?.message ?? err.message,
  );
  expect(stale).toContain('0123456789abcdef');
  expect(stale).not.toContain(hash);
  const after = await currentDetails(handle);
  expect(after).toMatch(/Last refused \([^)]*bob@csis.example\): plan hash "0123456789abcdef" is not the hash/);
});

test('"Start Workflow Like This One": search attributes come from the new run, not the old one', async () => {
  const { client, taskQueue } = files.harness;
  const handle = await client.workflow.start('disasterRecovery', {
    taskQueue,
    workflowId: `like-this-one-${Date.now()}`,
    args: [{ environment: 'production', backup: 'b016', operator: 'carol', timing: FAST }],
    // What the UI copies from alice's finished run.
    typedSearchAttributes: [
      { key: RunbookName, value: 'disaster-recovery' },
      { key: Operator, value: 'alice@csis.example' },
      { key: RunbookOutcome, value: 'succeeded' },
      { key: Approver, value: 'bob@csis.example' },
      { key: HerokuApp, value: 'some-other-app' },
    ],
  });
  started.push(handle);
  await until(
    () => currentDetails(handle),
    (text) => text.includes('Waiting for approval'),
    'the plan to wait for approval',
  );
  expect(await searchAttributes(handle)).toEqual({
    runbook: 'disaster-recovery',
    app: PRODUCTION,
    operator: 'unverified (claims: carol)',
    outcome: undefined,
    approver: undefined,
  });
  // The list finds it under carol, and lists no app lock unless asked.
  await until(
    () => client.workflow.count(`Operator = "unverified (claims: carol)" AND WorkflowId = "${handle.workflowId}"`),
    ({ count }) => count === 1,
    'the list to show the new operator',
  );
  await until(
    () =>
      client.workflow.count(`RunbookName = "app-lock" AND HerokuApp = "${PRODUCTION}" AND ExecutionStatus = "Running"`),
    ({ count }) => count >= 1,
    'the lock to be labelled',
  );
});

test("a dry run's outcome is dry-run", async () => {
  const handle = await files.harness.start('disaster-recovery', {
    environment: 'production',
    backup: 'b016',
    dryRun: true,
  });
  started.push(handle);
  expect((await waitForRunbook(handle)).status).toBe('succeeded');
  expect((await searchAttributes(handle)).outcome).toBe('dry-run');
  expect(await currentDetails(handle)).toContain('**Succeeded.** Dry run, nothing changed.');
});

test('a type the worker does not register fails at once, naming the closest one', async () => {
  const handle = await files.harness.client.workflow.start('maintenance-on', {
    taskQueue: files.harness.taskQueue,
    workflowId: `unknown-type-${Date.now()}`,
    args: [{ environment: 'staging', operator: 'alice' }],
  });
  started.push(handle);
  const err = await handle.result().then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const failure = (err as WorkflowFailedError).cause as ApplicationFailure;
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect(failure.type).toBe('UnknownWorkflowType');
  expect(failure.message).toContain('No workflow type "maintenance-on" on this worker: did you mean maintenanceOn?');
  expect(failure.message).toContain('disasterRecovery');
  expect(await files.harness.sim.effects()).toEqual([]);
});

test('an environment the file does not name fails as the run\'s own refusal, not "Activity task failed"', async () => {
  const handle = await files.harness.client.workflow.start('maintenanceOn', {
    taskQueue: files.harness.taskQueue,
    workflowId: `bad-environment-${Date.now()}`,
    args: [{ environment: 'stagin', operator: 'alice' }],
  });
  started.push(handle);
  const err = (await handle.result().then(
    () => null,
    (e: unknown) => e,
  )) as WorkflowFailedError;
  const failure = err.cause as ApplicationFailure;
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect(failure.message).toContain('stagin');
  expect(failure.cause).toBeUndefined();
  expect(await currentDetails(handle)).toContain('**Failed.**');
});

test('closest types and the registered list', () => {
  expect(closestWorkflowType('maintenance-on')).toBe('maintenanceOn');
  expect(closestWorkflowType('MaintenanceOn')).toBe('maintenanceOn');
  expect(closestWorkflowType('disasterRecover')).toBe('disasterRecovery');
  expect(closestWorkflowType('somethingElseEntirely')).toBeNull();
  // Every workflow the index exports is in the list the unknown-type failure names (and nothing else is).
  const exported = Object.keys(workflows).filter((name) => name !== 'default' && name !== '__esModule');
  expect([...REGISTERED_WORKFLOW_TYPES].sort()).toEqual(exported.sort());
});
