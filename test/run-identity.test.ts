// What identifies a run's changes on Heroku: the run, not only its workflow ID. A re-used workflow ID starts its own
// dyno; a workflow ID cannot smuggle a shell command into a dyno; a Heroku failure on the last attempt says it gave
// up. Effects are read from the simulator.
import { MockActivityEnvironment } from '@temporalio/testing';
import { waitForRunbook } from '../client/launch';
import type { RunCommandResult } from '../common/commands';
import { carriesMarker, commandMarker } from '../common/commands';
import { PlatformApi } from '../activities/heroku/platform-api';
import { PRODUCTION, STAGING, useRunbookHarness } from './support/harness';
import { runCli } from './support/cli';
import { uniqueTaskQueue } from './support/temporal';

const setup = useRunbookHarness({ environments: { production: { app: PRODUCTION }, staging: { app: STAGING } } });

const dynoCreates = async () =>
  (await setup.harness.sim.effects()).filter((effect) => effect.kind === 'dyno-create') as unknown as Array<{
    name: string;
    command: string;
  }>;

test("a re-used workflow ID runs its own command: a retry never adopts the earlier run's dyno", async () => {
  const workflowId = uniqueTaskQueue('reused');
  const start = (command: string) =>
    setup.harness.client.workflow.start('runCommand', {
      args: [{ environment: 'staging', command, operator: 'alice' }],
      taskQueue: setup.harness.taskQueue,
      workflowId,
    });
  const first = await waitForRunbook<RunCommandResult>(await start('python manage.py send_newsletter'));
  expect(first.status).toBe('succeeded');

  // The second run's first dyno create fails without being applied: its retry looks for a dyno it started.
  await setup.harness.sim.control('POST', 'faults', {
    method: 'POST',
    path: `/apps/${STAGING}/dynos`,
    action: 'error',
    count: 1,
  });
  const second = await waitForRunbook<RunCommandResult>(await start('python manage.py purge_old_accounts'));
  expect(second.status).toBe('succeeded');
  if (first.status !== 'succeeded' || second.status !== 'succeeded') return;
  expect(second.result.dyno.name).not.toBe(first.result.dyno.name);
  expect(second.result.summary).toMatch(/^`python manage\.py purge_old_accounts` succeeded on csis-reconasia-bravo/);
  const creates = await dynoCreates();
  expect(creates.map((create) => create.command.replace(/ # heroku-runbooks:.*$/, ''))).toEqual([
    'python manage.py send_newsletter',
    'python manage.py purge_old_accounts',
  ]);
  expect(creates[1].name).toBe(second.result.dyno.name);
  expect(creates[0].command).toContain(first.runId);
  expect(creates[1].command).toContain(second.runId);
});

test('a workflow ID with a newline never reaches a dyno: the workflow refuses it, and so does the CLI', async () => {
  const hostile = 'x\npython manage.py flush --noinput\n#';
  let refusal: string;
  try {
    const handle = await setup.harness.client.workflow.start('rebuildSearchIndex', {
      args: [{ environment: 'production' }],
      taskQueue: setup.harness.taskQueue,
      workflowId: hostile,
    });
    const outcome = await waitForRunbook(handle);
    refusal = outcome.status === 'failed' ? `${outcome.error.type}: ${outcome.error.message}` : 'started a dyno';
    expect(refusal).toMatch(/^InvalidRunbookInput: This run's workflow ID .* contains control characters/);
  } catch (err) {
    // Temporal itself may refuse such an ID: just as safe.
    refusal = (err as Error).message;
    expect(refusal).not.toBe('started a dyno');
  }
  expect(await dynoCreates()).toEqual([]);

  const cli = await runCli(['run', 'rebuild-search-index', '--env', 'production', '--workflow-id', hostile], {
    TEMPORAL_ADDRESS: process.env.RUNBOOK_TEST_TEMPORAL_ADDRESS,
  });
  expect(cli.code).toBe(2);
  expect(cli.stderr).toMatch(/--workflow-id contains control characters/);
  const lockId = await runCli(
    ['run', 'maintenance-on', '--env', 'staging', '--workflow-id', 'app-lock.csis-reconasia-bravo'],
    {
      TEMPORAL_ADDRESS: process.env.RUNBOOK_TEST_TEMPORAL_ADDRESS,
    },
  );
  expect(lockId.code).toBe(2);
  expect(lockId.stderr).toMatch(/reserved for the app locks/);
});

test('the dyno marker holds only characters no shell interprets, and matches only its own step', () => {
  const marker = commandMarker("x\n$(rm -rf /); echo 'a' `b` #", '0b1c2d3e-0000-4000-8000-000000000000', 'clear-1');
  expect(marker).toMatch(/^# heroku-runbooks:[A-Za-z0-9._%:-]+$/);
  expect(marker.slice('# '.length)).not.toMatch(/[\s$;'"`()#!*~\\|&<>]/);
  expect(carriesMarker(`rq empty --all ${marker}`, marker)).toBe(true);
  expect(carriesMarker(`rq empty --all ${marker}0`, marker)).toBe(false);
  expect(carriesMarker('Starting process with command `rq empty ' + marker + '` by user', marker)).toBe(true);
});

test("Heroku failing on an activity's last attempt says it gave up, not that it retries", async () => {
  await setup.harness.sim.control('POST', 'faults', {
    method: 'GET',
    path: `/apps/${STAGING}`,
    action: 'error',
    status: 503,
    count: 2,
  });
  const platform = new PlatformApi({
    apiUrl: setup.harness.sim.url,
    dataApiUrl: setup.harness.sim.url,
    apiKey: setup.harness.sim.token,
  });
  const messageOn = async (attempt: number) =>
    new MockActivityEnvironment({ attempt, retryPolicy: { maximumAttempts: 10 } })
      .run(() => platform.getApp(STAGING))
      .then(
        () => 'no failure',
        (err: Error) => err.message,
      );
  expect(await messageOn(3)).toMatch(
    /^Heroku answered 503 to GET \/apps\/csis-reconasia-bravo.*; retrying with backoff\.$/,
  );
  expect(await messageOn(10)).toMatch(
    /^Heroku answered 503 to GET \/apps\/csis-reconasia-bravo.*; gave up after 10 attempts\. Heroku may be having trouble/,
  );
});
