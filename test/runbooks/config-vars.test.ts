import { randomBytes } from 'node:crypto';
import { SecretBox } from '../../lib/secret-box';
import { waitForRunbook } from '../../client/launch';
import { prepareInput } from '../../client/prepare-input';
import type { ConfigVarsResult } from '../../common/config-vars';
import { RunbookHarness, STAGING } from '../support/harness';
import { createTestWorker, readableHistory, uniqueTaskQueue } from '../support/temporal';

let harness: RunbookHarness;

beforeAll(async () => {
  harness = await RunbookHarness.start({ environments: { staging: { app: STAGING } } });
});
afterAll(() => harness?.stop());
beforeEach(() => harness.sim.reset());

const vars = (): Promise<Record<string, string>> => harness.sim.api().get(`/apps/${STAGING}/config-vars`);
const releases = async () => (await harness.sim.effects()).filter((effect) => effect.kind === 'release');

/** Everything anyone could read about a run afterwards: its history (payloads decoded) and its audit trail. */
async function traces(workflowId: string): Promise<string> {
  return `${await readableHistory(harness.client, workflowId)}\n${JSON.stringify(await harness.audit.query({ workflowId }))}`;
}

test('sets sealed values: keys only in the result, one release, values nowhere in history or audit', async () => {
  const token = `pk.mapbox-${randomBytes(8).toString('hex')}`;
  const input = { environment: 'staging', set: { MAPBOX_TOKEN: token, FEATURE_FLAG: 'on' } };
  const outcome = await harness.run<'set-config-vars', ConfigVarsResult>('set-config-vars', {
    ...input,
    set: { MAPBOX_TOKEN: harness.secrets.seal(token), FEATURE_FLAG: harness.secrets.seal('on') },
  });
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
  const result = await harness.succeeded<ConfigVarsResult>('set-config-vars', {
    environment: 'staging',
    set: { AWS_STORAGE_BUCKET_NAME: harness.secrets.seal(current) },
  });
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

test('a worker without RUNBOOK_SECRETS_KEY, or a value sealed with another key, fails saying so and changes nothing', async () => {
  const queue = uniqueTaskQueue('no-secrets');
  const keyless = await createTestWorker(
    harness.server.nativeConnection,
    queue,
    harness.deps(harness.sim.token, { secrets: null }),
  );
  const noKey = await keyless.runUntil(
    harness.run('set-config-vars', { environment: 'staging', generate: { SECRET_KEY: 'hex-64' } }, queue),
  );
  expect(noKey.status === 'failed' && noKey.error.message).toMatch(/The worker has no RUNBOOK_SECRETS_KEY/);

  const otherKey = new SecretBox(randomBytes(32));
  const wrong = await harness.run('set-config-vars', {
    environment: 'staging',
    set: { MAPBOX_TOKEN: otherKey.seal('x') },
  });
  expect(wrong.status === 'failed' && wrong.error.message).toMatch(
    /does not open with this RUNBOOK_SECRETS_KEY.*Nothing was changed/,
  );
  expect(await releases()).toEqual([]);
});

test('the CLI seals --set values with RUNBOOK_SECRETS_KEY, and refuses without it', () => {
  const key = randomBytes(32).toString('base64');
  const prepared = prepareInput(
    'set-config-vars',
    { environment: 'staging', set: { A: 'plain' } },
    { RUNBOOK_SECRETS_KEY: key },
  );
  const sealed = (prepared.set as Record<string, string>).A;
  expect(sealed).toMatch(/^sealed:v1:/);
  expect(new SecretBox(Buffer.from(key, 'base64')).open(sealed)).toBe('plain');
  expect(() => prepareInput('set-config-vars', { set: { A: 'x' } }, {})).toThrow(/--set needs RUNBOOK_SECRETS_KEY/);
});
