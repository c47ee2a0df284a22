// The worker's Heroku token is revoked in the middle of a run: a real OAuth authorization of the service account,
// revoked on the simulator as `heroku authorizations:revoke` does, while the run waits on Heroku. From then on every
// call answers 401. The run stops at once naming HEROKU_API_KEY, tries the compensation it still can (and reports
// what could not be done instead of retrying it), says how it left the app, and is on the record; the 401s are few,
// one for each action tried, none retried. A run on a valid token then recovers the app.
import type { Worker } from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import { waitForRunbook, type RunbookOutcome } from '../client/launch';
import { progressQuery } from '../common/messages';
import type { RunbookProgress } from '../common/progress';
import { STAGING, useRunbookHarness } from './support/harness';
import type { Call } from './support/simulator';
import { createTestWorker, uniqueTaskQueue } from './support/temporal';
import { until } from './support/until';

const setup = useRunbookHarness({ environments: { staging: { app: STAGING } } });
const { started } = setup;

/** Workers a test started on its own queue: shut down after each test, before the harness closes the connection. */
const extraWorkers: { worker: Worker; running: Promise<void> }[] = [];
async function stopWorkers(): Promise<void> {
  for (const { worker, running } of extraWorkers.splice(0)) {
    worker.shutdown();
    await running;
  }
}
afterEach(stopWorkers);

beforeEach(async () => {
  // Transfers at 10 kB/s: a restore or backup of staging's 9 MB database takes about 15 s (at 60×), time enough to
  // revoke the token while the run waits for it.
  await setup.harness.sim.control('PUT', 'data-api', { transferBytesPerSecond: 10_000 });
});

/** A real OAuth authorization of the service account, as `heroku authorizations:create` makes for a worker. */
async function createWorkerToken(): Promise<{ id: string; token: string }> {
  const authorization = (await setup.harness.sim.api().post('/oauth/authorizations', {
    body: { description: 'heroku-runbooks worker' },
  })) as { id: string; access_token: { token: string } };
  return { id: authorization.id, token: authorization.access_token.token };
}

/** `heroku authorizations:revoke <id>`: its token authenticates nothing from the next request on. */
async function revoke(id: string): Promise<void> {
  await setup.harness.sim.api().delete(`/oauth/authorizations/${id}`);
}

/** A worker on `queue` whose HEROKU_API_KEY is `token`. */
async function startWorker(queue: string, token: string): Promise<void> {
  const worker = await createTestWorker(setup.harness.server.nativeConnection, queue, setup.harness.deps(token));
  extraWorkers.push({ worker, running: worker.run() });
}

/** Waits for the run to end, for at most a generous bound: a run that retries forever fails the test. */
async function ended<R>(handle: WorkflowHandle): Promise<RunbookOutcome<R>> {
  await until(
    () => handle.describe().then((d) => d.status.name),
    (status) => status !== 'RUNNING',
    `${handle.workflowId} to end (not retrying a revoked token forever)`,
    90_000,
  );
  return waitForRunbook<R>(handle);
}

const whileWaiting = (handle: WorkflowHandle, step: string, detail: RegExp) =>
  until(
    () => handle.query(progressQuery),
    (p: RunbookProgress) => p.currentStep === step && detail.test(p.steps.find((s) => s.name === step)?.detail ?? ''),
    `${step} to be waiting on Heroku`,
    60_000,
  );

/** The requests Heroku (the simulator) answered 401 from call `from` on. */
const unauthorized = (calls: Call[], from: number): string[] =>
  calls
    .slice(from)
    .filter((call) => call.status === 401)
    .map((call) => `${call.method} ${call.path.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/, '<uuid>')}`);

async function appState() {
  const api = setup.harness.sim.api();
  const formation = (await api.get(`/apps/${STAGING}/formation`)) as { type: string; quantity: number }[];
  const config = (await api.get(`/apps/${STAGING}/config-vars`)) as Record<string, string>;
  return {
    formation: Object.fromEntries(formation.map((p) => [p.type, p.quantity])),
    maintenance: config.MAINTENANCE_MODE ?? 'unset',
  };
}

const TOKEN_MESSAGE =
  /Heroku rejected the worker's API token on \w+ \S+ \(unauthorized: Invalid credentials provided\.\).* Set HEROKU_API_KEY for the worker to a valid token \(`heroku authorizations:create`\), restart the worker/;

test('revoked during the restore wait of a disaster recovery: it stops, cannot compensate, says so and how the app is; a worker on a new token retries it to the end', async () => {
  const { harness } = setup;
  const queue = uniqueTaskQueue('revoked');
  const { id, token } = await createWorkerToken();
  await startWorker(queue, token);
  const input = { environment: 'staging', backup: 'b010', confirm: STAGING, safetyBackup: false, operator: 'erin' };
  const handle = await harness.start('disaster-recovery', { ...input, timing: { heartbeatTimeoutSeconds: 5 } }, queue);
  started.push(handle);
  await whileWaiting(handle, 'restore', /^restoring b010: /);
  const from = (await harness.sim.calls()).length;
  await revoke(id);

  const outcome = await ended(handle);
  if (outcome.status !== 'failed') throw new Error('expected the recovery to fail');
  expect(outcome.error.type).toBe('DisasterRecoveryFailed');
  const message = outcome.error.message;
  expect(message).toMatch(/^Disaster recovery of csis-reconasia-bravo failed: /);
  expect(message).toMatch(TOKEN_MESSAGE);
  // How it left the app: the restore unfinished (it could not even be stopped), so maintenance stays on; the
  // processes could not be scaled back, and the message says the command that does it by hand.
  expect(message).toMatch(
    /State of csis-reconasia-bravo: database may be inconsistent; maintenance ON; processes still quiet\./,
  );
  expect(message).toMatch(/restore r\d{3} could not be stopped \(Heroku rejected the worker's API token/);
  expect(message).toMatch(
    /processes could NOT be scaled back \(Heroku rejected the worker's API token.*?\): run `heroku ps:scale worker=1 scheduler=1 -a csis-reconasia-bravo`/,
  );
  expect(message).toMatch(/maintenance left ON because the database may be inconsistent/);
  expect(message).toMatch(/Next: fix the cause, then `runbook retry /);

  // Three 401s, each tried once: the watch of the restore, then the compensation's cancel of it and its scale
  // back, each stopping at its first read. Nothing retried.
  const refused = unauthorized(await harness.sim.calls(), from);
  expect(refused).toEqual([
    `GET /client/v11/apps/${STAGING}/transfers/<uuid>`,
    `GET /client/v11/apps/${STAGING}/transfers/<uuid>`,
    `GET /apps/${STAGING}/formation`,
  ]);
  expect(await appState()).toEqual({ formation: { web: 1, worker: 0, scheduler: 0 }, maintenance: 'True' });

  const progress = await handle.query(progressQuery);
  expect(progress.steps.find((s) => s.name === 'restore')).toMatchObject({ status: 'failed' });
  expect(progress.steps.find((s) => s.name === 'compensate-scale-back')).toMatchObject({
    status: 'failed',
    detail: expect.stringMatching(/HEROKU_API_KEY/),
  });
  expect(progress.leftState).toMatch(
    /^Failed at "restore"\. State of csis-reconasia-bravo: database may be inconsistent/,
  );

  // On the record: each compensation tried and failed, how the app was left, and the failure naming the token.
  const trail = (await harness.audit.query({ workflowId: handle.workflowId })).reverse();
  const summaries = trail.map((entry) => `${entry.event}: ${entry.summary}`);
  expect(summaries).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^intent: about to cancel r\d{3} on Heroku \(the recovery stopped\)$/),
      expect.stringMatching(/^change: failed to cancel r\d{3} on Heroku \(the recovery stopped\): Heroku rejected/),
      expect.stringMatching(
        /^change: failed to scale csis-reconasia-bravo back to scheduler=1:Standard-1X worker=1:Standard-1X: Heroku rejected/,
      ),
      expect.stringMatching(/^compensation: Failed at "restore"\. State of csis-reconasia-bravo/),
    ]),
  );
  expect(trail.at(-1)).toMatchObject({ event: 'failed', summary: expect.stringMatching(/HEROKU_API_KEY/) });

  // The operator does what the message says: a new token, the worker restarted on it, `runbook retry`.
  await stopWorkers();
  await startWorker(queue, (await createWorkerToken()).token);
  const retry = await harness.start(
    'disaster-recovery',
    { ...input, resumeFrom: { workflowId: handle.workflowId, runId: handle.firstExecutionRunId } },
    queue,
  );
  started.push(retry);
  const retried = await ended(retry);
  if (retried.status !== 'succeeded') throw new Error(`the retry failed: ${retried.error.message}`);
  expect(await appState()).toEqual({ formation: { web: 1, worker: 1, scheduler: 1 }, maintenance: 'unset' });
  const databases = await harness.sim.control<{ app: string; attachments: string[]; live_backup: string | null }[]>(
    'GET',
    'databases',
  );
  expect(databases.find((db) => db.app === STAGING && db.attachments.includes('DATABASE'))?.live_backup).toBe('b010');
  // And the failed run asked nothing more since it ended.
  expect(unauthorized(await harness.sim.calls(), from)).toEqual(refused);
}, 180_000);

test('revoked during the safety backup, before the restore: the database is untouched, and the state it reports for maintenance and processes is what Heroku has', async () => {
  const { harness } = setup;
  const queue = uniqueTaskQueue('revoked');
  const { id, token } = await createWorkerToken();
  await startWorker(queue, token);
  const input = { environment: 'staging', backup: 'b010', confirm: STAGING, safetyBackup: true, operator: 'erin' };
  const handle = await harness.start('disaster-recovery', { ...input, timing: { heartbeatTimeoutSeconds: 5 } }, queue);
  started.push(handle);
  await whileWaiting(handle, 'safety-backup', /^capturing b\d{3}: /);
  const from = (await harness.sim.calls()).length;
  await revoke(id);

  const outcome = await ended(handle);
  if (outcome.status !== 'failed') throw new Error('expected the recovery to fail');
  const message = outcome.error.message;
  expect(message).toMatch(TOKEN_MESSAGE);
  // Nothing was restored, and the compensation's reads were refused before it asked for any change: what it states
  // is what Heroku has — maintenance still ON (not "unknown"), the processes still quiet — and how to undo both.
  expect(message).toMatch(
    /Failed at "safety-backup"\. State of csis-reconasia-bravo: database untouched; maintenance ON; processes still quiet\./,
  );
  expect(message).toMatch(
    /processes could NOT be scaled back \(Heroku rejected the worker's API token.*?\): run `heroku ps:scale worker=1 scheduler=1 -a csis-reconasia-bravo`/,
  );
  expect(message).toMatch(
    /maintenance could NOT be turned off \(Heroku rejected the worker's API token.*?\) and is still ON: run `runbook run maintenance-off --app csis-reconasia-bravo`/,
  );
  expect(message).toMatch(/Next: nothing was restored; fix the cause and `runbook retry /);
  const refused = unauthorized(await harness.sim.calls(), from);
  expect(refused).toEqual([
    `GET /client/v11/apps/${STAGING}/transfers/<uuid>`,
    `GET /apps/${STAGING}/formation`,
    `GET /apps/${STAGING}`,
  ]);
  expect(await appState()).toEqual({ formation: { web: 1, worker: 0, scheduler: 0 }, maintenance: 'True' });
  expect((await harness.sim.effects()).filter((effect) => effect.kind === 'restore')).toEqual([]);
  const trail = (await harness.audit.query({ workflowId: handle.workflowId })).reverse();
  expect(trail.at(-1)).toMatchObject({ event: 'failed', summary: expect.stringMatching(/HEROKU_API_KEY/) });
  expect(trail.at(-2)).toMatchObject({
    event: 'compensation',
    summary: expect.stringMatching(/maintenance ON; processes still quiet/),
  });

  // What the message says to do by hand, on a valid token (the harness's worker), puts the app back as it was.
  expect((await harness.run('maintenance-off', { environment: 'staging' })).status).toBe('succeeded');
  const scaled = await harness.run('scale-dynos', {
    environment: 'staging',
    processes: { worker: '1', scheduler: '1' },
  });
  expect(scaled.status).toBe('succeeded');
  expect(await appState()).toEqual({ formation: { web: 1, worker: 1, scheduler: 1 }, maintenance: 'unset' });
  expect(unauthorized(await harness.sim.calls(), from)).toEqual(refused);
}, 120_000);

test('revoked while capture-backup waits for its backup: it stops naming HEROKU_API_KEY, says what became of the backup, and a run on a valid token works', async () => {
  const { harness } = setup;
  const queue = uniqueTaskQueue('revoked');
  const { id, token } = await createWorkerToken();
  await startWorker(queue, token);
  const handle = await harness.start('capture-backup', { environment: 'staging' }, queue);
  started.push(handle);
  await whileWaiting(handle, 'capture', /^capturing b\d{3}: /);
  const from = (await harness.sim.calls()).length;
  await revoke(id);

  const outcome = await ended(handle);
  if (outcome.status !== 'failed') throw new Error('expected the capture to fail');
  expect(outcome.error.type).toBe('HerokuUnauthorized');
  expect(outcome.error.message).toMatch(TOKEN_MESSAGE);
  // One 401: the watch's poll, not retried.
  expect(unauthorized(await harness.sim.calls(), from)).toEqual([`GET /client/v11/apps/${STAGING}/transfers/<uuid>`]);

  // The backup it started goes on on Heroku, unwatched: the run says so, and that the database is unchanged.
  const progress = await handle.query(progressQuery);
  expect(progress.leftState).toMatch(
    /^Backup b\d{3} was started on Heroku, but this run could not follow it to its end: it may still be running, or have finished; the database is unchanged\. See whether it finished: `heroku pg:backups -a csis-reconasia-bravo`\.$/,
  );
  const trail = (await harness.audit.query({ workflowId: handle.workflowId })).reverse();
  expect(trail.map((entry) => entry.event)).toEqual(['started', 'intent', 'change', 'failed']);
  expect(trail.at(-1)!.summary).toMatch(/HEROKU_API_KEY/);
  expect(trail.at(-1)!.details.left).toBe(progress.leftState);

  // With the harness's worker (a valid token) the next capture succeeds: nothing was left locked or half-done.
  const again = await harness.run('capture-backup', { environment: 'staging' });
  expect(again.status).toBe('succeeded');
  expect(unauthorized(await harness.sim.calls(), from)).toHaveLength(1);
}, 120_000);
