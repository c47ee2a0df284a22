import { randomBytes } from 'node:crypto';
import type { WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { SEALED_PREFIX, SealingKeys } from '../../lib/sealing';
import { newWorkflowId, startRunbook, waitForRunbook, type RunbookInput } from '../../client/launch';
import { prepareInput } from '../../client/prepare-input';
import type { ConfigVarsResult } from '../../common/config-vars';
import { PRODUCTION, RunbookHarness, STAGING } from '../support/harness';
import { createTestWorker, readableHistory, uniqueTaskQueue } from '../support/temporal';
import { until } from '../support/until';

let harness: RunbookHarness;

beforeAll(async () => {
  harness = await RunbookHarness.start({
    environments: { staging: { app: STAGING }, production: { app: PRODUCTION } },
  });
});
afterAll(() => harness?.stop());
beforeEach(() => harness.sim.reset());

const vars = (app = STAGING): Promise<Record<string, string>> => harness.sim.api().get(`/apps/${app}/config-vars`);
const releases = async () => (await harness.sim.effects()).filter((effect) => effect.kind === 'release');

/** What a CLI user holds: the worker's public key, nothing else. */
const cliEnv = (): NodeJS.ProcessEnv => ({ RUNBOOK_SEAL_PUBLIC_KEY: harness.sealing.publicKey() });

/** Starts set-config-vars as `runbook run` does: the workflow ID first, then each --set value sealed for it. */
function startAsCli(
  input: RunbookInput<'set-config-vars'>,
  options: { env?: NodeJS.ProcessEnv; queue?: string } = {},
): Promise<WorkflowHandleWithFirstExecutionRunId> {
  const workflowId = newWorkflowId('set-config-vars', input);
  const prepared = prepareInput(
    'set-config-vars',
    { operator: 'alice', ...input },
    workflowId,
    options.env ?? cliEnv(),
  );
  return startRunbook(harness.client, 'set-config-vars', prepared as RunbookInput<'set-config-vars'>, {
    taskQueue: options.queue ?? harness.taskQueue,
    workflowId,
  });
}

/** The sealed values as anyone with namespace access can copy them: from the run's start event, in its history. */
async function sealedInHistory(workflowId: string): Promise<Record<string, string>> {
  const history = await harness.client.workflow.getHandle(workflowId).fetchHistory();
  const payload = history.events![0].workflowExecutionStartedEventAttributes!.input!.payloads![0];
  return (JSON.parse(Buffer.from(payload.data!).toString('utf8')) as { set: Record<string, string> }).set;
}

/** A raw start, as `temporal workflow start --type setConfigVars` or the UI would make it. */
function rawStart(input: Record<string, unknown>, workflowId = uniqueTaskQueue('raw-start')) {
  return harness.client.workflow
    .start('setConfigVars', { args: [input], taskQueue: harness.taskQueue, workflowId })
    .then((handle) => waitForRunbook(handle));
}

/** Everything anyone could read about a run afterwards: its history (payloads decoded) and its audit trail. */
async function traces(workflowId: string): Promise<string> {
  return `${await readableHistory(harness.client, workflowId)}\n${JSON.stringify(await harness.audit.query({ workflowId }))}`;
}

test('sets sealed values: keys only in the result, one release, values nowhere in history or audit', async () => {
  const token = `pk.mapbox-${randomBytes(8).toString('hex')}`;
  const outcome = await waitForRunbook<ConfigVarsResult>(
    await startAsCli({ environment: 'staging', set: { MAPBOX_TOKEN: token, FEATURE_FLAG: 'on' } }),
  );
  expect(outcome.status).toBe('succeeded');
  if (outcome.status !== 'succeeded') return;
  expect(outcome.result).toMatchObject({
    set: ['MAPBOX_TOKEN', 'FEATURE_FLAG'],
    unchanged: [],
    removed: [],
    app: STAGING,
  });
  expect(outcome.result.summary).toMatch(/^csis-reconasia-bravo: set MAPBOX_TOKEN, FEATURE_FLAG \(release v\d+\)\.$/);
  expect(await vars()).toMatchObject({ MAPBOX_TOKEN: token, FEATURE_FLAG: 'on' });
  expect(await releases()).toHaveLength(1);
  expect(await traces(outcome.workflowId)).not.toContain(token);
});

test('SECRET_KEY rotation: a new value made by the worker, never shown; retried after apply-then-fail it rotates once', async () => {
  const old = (await vars()).SECRET_KEY;
  await harness.sim.control('POST', 'faults', {
    method: 'PATCH',
    path: `/apps/${STAGING}/config-vars`,
    action: 'apply-then-fail',
    count: 1,
  });
  const outcome = await harness.run<'set-config-vars', ConfigVarsResult>('set-config-vars', {
    environment: 'staging',
    generate: { SECRET_KEY: 'django-secret-key' },
  });
  expect(outcome.status).toBe('succeeded');
  const rotated = (await vars()).SECRET_KEY;
  expect(rotated).not.toBe(old);
  expect(rotated).toMatch(/^[a-z0-9!@#%^&*(\-_=+)]{50}$/);
  // The PATCH went through but its answer was lost; the retry derived the same value and found it in place.
  expect(await releases()).toHaveLength(1);
  expect(outcome.status === 'succeeded' && outcome.result.set).toEqual(['SECRET_KEY']);
  const seen = await traces(outcome.workflowId);
  expect(seen).not.toContain(rotated);
  expect(seen).not.toContain(old);
});

test('a value already in place is left alone: no PATCH, no release', async () => {
  const current = (await vars()).AWS_STORAGE_BUCKET_NAME;
  const outcome = await waitForRunbook<ConfigVarsResult>(
    await startAsCli({ environment: 'staging', set: { AWS_STORAGE_BUCKET_NAME: current } }),
  );
  expect(outcome.status).toBe('succeeded');
  const result = outcome.status === 'succeeded' && outcome.result;
  expect(result).toMatchObject({ set: [], unchanged: ['AWS_STORAGE_BUCKET_NAME'], release: null });
  expect(await releases()).toEqual([]);
  expect((await harness.sim.calls()).filter((call) => call.method === 'PATCH')).toEqual([]);
});

test('unset removes what is there and says what was not; retried after apply-then-fail it reports what it removed', async () => {
  await harness.sim.control('POST', 'faults', {
    method: 'PATCH',
    path: `/apps/${STAGING}/config-vars`,
    action: 'apply-then-fail',
    count: 1,
  });
  const result = await harness.succeeded<ConfigVarsResult>('unset-config-vars', {
    environment: 'staging',
    keys: ['GOOGLE_ANALYTICS_KEY', 'NOT_THERE'],
  });
  expect(result).toMatchObject({ removed: ['GOOGLE_ANALYTICS_KEY'], absent: ['NOT_THERE'] });
  expect(result.summary).toMatch(/removed GOOGLE_ANALYTICS_KEY; NOT_THERE not set \(release v\d+\)/);
  expect(await vars()).not.toHaveProperty('GOOGLE_ANALYTICS_KEY');
  expect(await releases()).toHaveLength(1);
});

test('a plain value (as the UI could send) is refused naming the field, before any Heroku call', async () => {
  const handle = await harness.client.workflow.start('setConfigVars', {
    args: [{ environment: 'staging', set: { MAPBOX_TOKEN: 'pk.plain-text-token' } }],
    taskQueue: harness.taskQueue,
    workflowId: uniqueTaskQueue('plain-value'),
  });
  const outcome = await waitForRunbook(handle);
  expect(outcome.status === 'failed' && outcome.error.message).toMatch(/set\.MAPBOX_TOKEN: must be sealed/);
  expect(await harness.sim.calls()).toEqual([]);
});

test('a value sealed for staging, copied from its history into a production start, does not open: production unchanged', async () => {
  const token = `pk.staging-only-${randomBytes(8).toString('hex')}`;
  const staging = await waitForRunbook(await startAsCli({ environment: 'staging', set: { MAPBOX_TOKEN: token } }));
  expect(staging.status).toBe('succeeded');
  const copied = (await sealedInHistory(staging.workflowId)).MAPBOX_TOKEN;
  expect(copied.startsWith(SEALED_PREFIX)).toBe(true);
  const productionBefore = await vars(PRODUCTION);
  const effectsBefore = (await harness.sim.effects()).length;

  // Even under the very workflow ID it was sealed for (the staging run has ended, so the ID is free again).
  for (const workflowId of [staging.workflowId, uniqueTaskQueue('to-production')]) {
    const moved = await rawStart(
      { environment: 'production', operator: 'mallory', set: { MAPBOX_TOKEN: copied } },
      workflowId,
    );
    expect(moved.status === 'failed' && moved.error.message).toMatch(
      /^Cannot open the value for MAPBOX_TOKEN: it does not open for environment production, config var MAPBOX_TOKEN, run \S+: it was sealed for another app, environment, config var or run \(a sealed value cannot be moved: seal it again for this run\), or it was altered\. Nothing was changed\.$/,
    );
  }
  // Nothing happened on Heroku after the staging run: no release, no change, on production or anywhere.
  expect((await harness.sim.effects()).slice(effectsBefore)).toEqual([]);
  expect(await vars(PRODUCTION)).toEqual(productionBefore);
  expect(Object.values(await vars(PRODUCTION))).not.toContain(token);
});

test('a sealed value moved to another run, another config var, or the app named instead of the environment is refused', async () => {
  const first = await waitForRunbook(await startAsCli({ environment: 'staging', set: { MAPBOX_TOKEN: 'pk.first' } }));
  expect(first.status).toBe('succeeded');
  const copied = (await sealedInHistory(first.workflowId)).MAPBOX_TOKEN;
  const effectsBefore = (await harness.sim.effects()).length;
  const refusals = [
    // Another run: the same environment and var, another workflow ID.
    await rawStart({ environment: 'staging', set: { MAPBOX_TOKEN: copied } }),
    // Another var: the same run's workflow ID and environment (one after the other: the ID is free once a run ends).
    await rawStart({ environment: 'staging', set: { SENTRY_DSN: copied } }, first.workflowId),
    // The same app, named as an app: bound to the input as the CLI saw it.
    await rawStart({ app: STAGING, set: { MAPBOX_TOKEN: copied } }, first.workflowId),
  ];
  for (const outcome of refusals)
    expect(outcome.status === 'failed' && outcome.error.message).toMatch(
      /sealed for another app, environment, config var or run .*Nothing was changed\.$/,
    );
  expect((await harness.sim.effects()).slice(effectsBefore)).toEqual([]);
  expect((await vars()).SENTRY_DSN).not.toBe('pk.first');
});

test('a worker without RUNBOOK_SEAL_KEYS, or a value sealed for a key it does not hold, fails saying so and changes nothing', async () => {
  const queue = uniqueTaskQueue('no-seal-keys');
  const keyless = await createTestWorker(
    harness.server.nativeConnection,
    queue,
    harness.deps(harness.sim.token, { sealing: null }),
  );
  const [noKeys, noKeysSet] = await keyless.runUntil(async () => [
    await harness.run('set-config-vars', { environment: 'staging', generate: { SECRET_KEY: 'hex-64' } }, queue),
    await waitForRunbook(await startAsCli({ environment: 'staging', set: { A: 'b' } }, { queue })),
  ]);
  for (const outcome of [noKeys, noKeysSet])
    expect(outcome.status === 'failed' && outcome.error.message).toMatch(
      /^The worker has no RUNBOOK_SEAL_KEYS, so it cannot open sealed values or generate new ones\. Nothing was changed\. .*runbook keys generate/,
    );

  // Sealed with another worker's public key (a CLI user with a stale RUNBOOK_SEAL_PUBLIC_KEY, say).
  const other = new SealingKeys([SealingKeys.generate().privateKey]);
  const wrong = await waitForRunbook(
    await startAsCli(
      { environment: 'staging', set: { MAPBOX_TOKEN: 'x' } },
      { env: { RUNBOOK_SEAL_PUBLIC_KEY: other.publicKey() } },
    ),
  );
  expect(wrong.status === 'failed' && wrong.error.message).toMatch(
    new RegExp(
      `^Cannot open the value for MAPBOX_TOKEN: sealed for key ${other.keyIds()[0]}, which this worker does not hold \\(it holds ${harness.sealing.keyIds()[0]}\\): add the private key with ID ${other.keyIds()[0]} to RUNBOOK_SEAL_KEYS.*Nothing was changed\\.$`,
    ),
  );
  expect(await releases()).toEqual([]);
});

test('the CLI seals --set values with the public key alone (RUNBOOK_SEAL_PUBLIC_KEY), bound to the run; refuses without it', () => {
  const workflowId = newWorkflowId('set-config-vars', { environment: 'staging' });
  expect(workflowId).toMatch(/^set-config-vars\.staging\.\d{8}T\d{6}Z\.[0-9a-f]{4}$/);
  const prepared = prepareInput(
    'set-config-vars',
    { environment: 'staging', set: { A: 'plain' } },
    workflowId,
    cliEnv(),
  );
  const sealed = (prepared.set as Record<string, string>).A;
  expect(sealed.startsWith(`${SEALED_PREFIX}${harness.sealing.keyIds()[0]}:`)).toBe(true);
  expect(sealed).not.toContain('plain');
  expect(harness.sealing.open(sealed, { purpose: 'config-var', workflowId, environment: 'staging', name: 'A' })).toBe(
    'plain',
  );
  // Other runbooks' input is left as it is; set-config-vars without --set needs no key.
  expect(prepareInput('maintenance-on', { environment: 'staging' }, workflowId, {})).toEqual({
    environment: 'staging',
  });
  expect(prepareInput('set-config-vars', { generate: { S: 'hex-64' } }, workflowId, {})).toEqual({
    generate: { S: 'hex-64' },
  });
  expect(() => prepareInput('set-config-vars', { set: { A: 'x' } }, workflowId, {})).toThrow(
    /^--set needs the worker's public key: RUNBOOK_SEAL_PUBLIC_KEY is not set \(nor RUNBOOK_SEAL_KEYS\)/,
  );
});

test('a SECRET_KEY made before a key rotation and retried after it on a rotated worker comes out the same: one rotation', async () => {
  const old = SealingKeys.generate().privateKey;
  const next = SealingKeys.generate().privateKey;
  const queue = uniqueTaskQueue('rotation');
  const before = await createTestWorker(
    harness.server.nativeConnection,
    queue,
    harness.deps(harness.sim.token, { sealing: new SealingKeys([old]) }),
  );
  const secretBefore = (await vars()).SECRET_KEY;
  // The change goes through, its answer is lost: the activity is retried — by then on the rotated worker.
  await harness.sim.control('POST', 'faults', {
    method: 'PATCH',
    path: `/apps/${STAGING}/config-vars`,
    action: 'apply-then-fail',
    count: 1,
  });
  const handle = await harness.start(
    'set-config-vars',
    { environment: 'staging', generate: { SECRET_KEY: 'django-secret-key' } },
    queue,
  );
  await before.runUntil(until(releases, (found) => found.length === 1, 'the first PATCH to be applied'));
  expect((await handle.describe()).status.name).toBe('RUNNING');
  const rotated = await createTestWorker(
    harness.server.nativeConnection,
    queue,
    harness.deps(harness.sim.token, { sealing: new SealingKeys([next, old]) }),
  );
  const outcome = await rotated.runUntil(waitForRunbook<ConfigVarsResult>(handle));
  expect(outcome.status === 'succeeded' ? outcome.result.set : outcome).toEqual(['SECRET_KEY']);
  expect((await vars()).SECRET_KEY).not.toBe(secretBefore);
  expect(await releases()).toHaveLength(1);
});
