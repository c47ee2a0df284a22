import { WorkflowFailedError } from '@temporalio/client';
import type { RunCommandResult } from '../../common/commands';
import { progressQuery } from '../../common/messages';
import { PRODUCTION, RunbookHarness } from '../support/harness';

let harness: RunbookHarness;

beforeAll(async () => {
  harness = await RunbookHarness.start({ environments: { production: { app: PRODUCTION } } });
});
afterAll(() => harness?.stop());
beforeEach(async () => {
  await harness.sim.reset();
  // 60×: the 2-minute index rebuild takes 2 s.
  await harness.sim.control('PUT', 'clock', { speed: 60 });
});

const dynoCreates = async () => (await harness.sim.effects()).filter((effect) => effect.kind === 'dyno-create');

test('rebuild-search-index runs rebuild_index in one detached dyno and reports its exit status', async () => {
  const outcome = await harness.run<'rebuild-search-index', RunCommandResult>('rebuild-search-index', {
    environment: 'production',
  });
  expect(outcome.status).toBe('succeeded');
  if (outcome.status !== 'succeeded') return;
  expect(outcome.result.dyno).toMatchObject({
    state: 'exited',
    exitStatus: 0,
    name: expect.stringMatching(/^run\.\d+$/),
  });
  expect(outcome.result.dyno.lastLines.join('\n')).toContain(
    `heroku[${outcome.result.dyno.name}]: Process exited with status 0`,
  );
  const creates = await dynoCreates();
  expect(creates).toEqual([
    expect.objectContaining({ app: PRODUCTION, attach: false, name: outcome.result.dyno.name }),
  ]);
  expect(String(creates[0].command)).toMatch(
    new RegExp(
      `^python manage\\.py rebuild_index --noinput # heroku-runbooks:${outcome.workflowId.replace(/\./g, '\\.')}:${outcome.runId}:run$`,
    ),
  );
});

test('a non-zero exit fails the run with the status and the last log lines', async () => {
  await harness.sim.control('POST', 'dyno-outcomes', { pattern: 'rebuild_index', exitStatus: 1 });
  const outcome = await harness.run('rebuild-search-index', { environment: 'production' });
  expect(outcome.status).toBe('failed');
  if (outcome.status !== 'failed') return;
  expect(outcome.error.type).toBe('CommandFailed');
  expect(outcome.error.message).toMatch(
    /^`python manage\.py rebuild_index --noinput` exited with status 1 in run\.\d+; last log lines: .*Process exited with status 1/,
  );
  expect(await dynoCreates()).toHaveLength(1);
});

test('a dyno Heroku started but answered 503 for is adopted by its marker, not started twice', async () => {
  await harness.sim.control('POST', 'faults', {
    method: 'POST',
    path: '/apps/*/dynos',
    action: 'apply-then-fail',
    count: 1,
  });
  const outcome = await harness.run<'run-command', RunCommandResult>('run-command', {
    environment: 'production',
    command: 'python manage.py migrate --noinput',
  });
  expect(outcome.status === 'succeeded' && outcome.result.dyno.exitStatus).toBe(0);
  expect(await dynoCreates()).toHaveLength(1);
});

test('a command that runs past its timeout is stopped and the run fails saying so', async () => {
  await harness.sim.control('POST', 'dyno-outcomes', { pattern: 'sleep', durationSeconds: 86_400 });
  const outcome = await harness.run('run-command', {
    environment: 'production',
    command: 'sleep 86400',
    timing: { commandTimeoutSeconds: 2 },
  });
  expect(outcome.status === 'failed' && outcome.error).toMatchObject({
    type: 'CommandTimedOut',
    message: expect.stringMatching(
      /^`sleep 86400` ran longer than 2 seconds in run\.\d+; it was stopped\. Look at `heroku logs --dyno run\.\d+ -a csis-reconasia-alfa`\.$/,
    ),
  });
  const kinds = (await harness.sim.effects()).map((effect) => effect.kind);
  expect(kinds.filter((kind) => kind === 'dyno-create')).toHaveLength(1);
  expect(kinds).toContain('dyno-stop');
});

test('cancelling the run stops its dyno', async () => {
  await harness.sim.control('POST', 'dyno-outcomes', { pattern: 'sleep', durationSeconds: 86_400 });
  const handle = await harness.start('run-command', { environment: 'production', command: 'sleep 86400' });
  // Wait until the dyno runs, then cancel.
  for (let i = 0; i < 100 && (await dynoCreates()).length === 0; i++)
    await new Promise((resolve) => setTimeout(resolve, 100));
  expect((await handle.query(progressQuery)).currentStep).toBe('run');
  await handle.cancel();
  await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
  const kinds = (await harness.sim.effects()).map((effect) => effect.kind);
  expect(kinds).toContain('dyno-stop');
  expect((await handle.query(progressQuery)).status).toBe('cancelled');
});
