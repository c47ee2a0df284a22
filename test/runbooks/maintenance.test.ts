import type { MaintenanceResult } from '../../common/maintenance';
import { Environment, HerokuApp, Operator, RunbookName, RunbookOutcome } from '../../common/search-attributes';
import { startRunbook, waitForRunbook, type RunbookOutcome as Outcome } from '../../client/launch';
import { progressQuery } from '../../common/messages';
import { PRODUCTION, RunbookHarness, STAGING } from '../support/harness';
import type { PersonName } from '../support/harness';
import type { TestSimulator } from '../support/simulator';
import { createTestWorker, readableHistory, uniqueTaskQueue } from '../support/temporal';

let harness: RunbookHarness;
let sim: TestSimulator;

beforeAll(async () => {
  // One environment per maintenance strategy, on the simulator's two seeded apps.
  harness = await RunbookHarness.start({
    environments: {
      staging: { app: STAGING },
      'staging-platform': { app: STAGING, maintenance: { strategy: 'platform' } },
      'production-both': { app: PRODUCTION, maintenance: { strategy: 'both' } },
    },
  });
  sim = harness.sim;
});

afterAll(() => harness?.stop());

beforeEach(() => sim.reset());

type Name = 'maintenance-on' | 'maintenance-off';

function run(name: Name, input: object, queue?: string, as?: PersonName): Promise<Outcome<MaintenanceResult>> {
  return harness.run<Name, MaintenanceResult>(name, input, queue, { as });
}

function succeeded(name: Name, input: object): Promise<MaintenanceResult> {
  return harness.succeeded<MaintenanceResult>(name, input);
}

async function configVars(app: string): Promise<Record<string, string>> {
  return sim.api().get(`/apps/${app}/config-vars`);
}

async function platformFlag(app: string): Promise<boolean> {
  return (await sim.api().get(`/apps/${app}`)).maintenance;
}

async function releases(): Promise<Array<{ app: string; version: number; description: string }>> {
  return (await sim.effects()).filter((effect) => effect.kind === 'release') as never;
}

describe('config-var strategy (the seed runbook: MAINTENANCE_MODE)', () => {
  test('on sets MAINTENANCE_MODE=True with one release; off removes it with one more', async () => {
    const on = await succeeded('maintenance-on', { environment: 'staging', reason: 'testing' });
    expect(on).toMatchObject({
      app: STAGING,
      environment: 'staging',
      strategy: 'config-var',
      maintenance: 'on',
      changed: true,
    });
    const [change] = on.changes;
    expect(change).toMatchObject({ what: 'config-var', key: 'MAINTENANCE_MODE', from: 'unset', to: 'on' });
    expect((await configVars(STAGING)).MAINTENANCE_MODE).toBe('True');
    expect(await platformFlag(STAGING)).toBe(false);
    let applied = await releases();
    expect(applied).toHaveLength(1);
    expect(applied[0]).toMatchObject({ app: STAGING });
    expect(applied[0].description).toContain('MAINTENANCE_MODE');
    expect(change.what === 'config-var' && change.release?.version).toBe(applied[0].version);
    expect(on.summary).toContain(`release v${applied[0].version}`);

    const off = await succeeded('maintenance-off', { environment: 'staging' });
    expect(off).toMatchObject({ maintenance: 'off', changed: true });
    expect(off.changes[0]).toMatchObject({ what: 'config-var', from: 'on', to: 'unset' });
    expect(await configVars(STAGING)).not.toHaveProperty('MAINTENANCE_MODE');
    applied = await releases();
    expect(applied).toHaveLength(2);
    expect(applied[1].description).toMatch(/Remove MAINTENANCE_MODE/);
  });

  test('a second run changes nothing: no config PATCH, no new release', async () => {
    await succeeded('maintenance-on', { environment: 'staging' });
    const releasesAfterFirst = await releases();
    const callsAfterFirst = (await sim.calls()).length;

    const again = await succeeded('maintenance-on', { environment: 'staging' });
    expect(again.changed).toBe(false);
    expect(again.changes).toEqual([]);
    expect(again.summary).toContain('nothing changed');
    expect(await releases()).toEqual(releasesAfterFirst);
    const secondRunCalls = (await sim.calls()).slice(callsAfterFirst);
    expect(secondRunCalls.length).toBeGreaterThan(0);
    expect(secondRunCalls.filter((call) => call.method !== 'GET')).toEqual([]);

    // And off twice: the second off is a no-op too.
    await succeeded('maintenance-off', { environment: 'staging' });
    const offAgain = await succeeded('maintenance-off', { environment: 'staging' });
    expect(offAgain.changed).toBe(false);
    expect(await releases()).toHaveLength(2);
  });

  test('--app resolves to the environment that lists it', async () => {
    const on = await succeeded('maintenance-on', { app: STAGING });
    expect(on).toMatchObject({ environment: 'staging', strategy: 'config-var' });
  });
});

describe('platform strategy (Heroku maintenance flag)', () => {
  test('on/off flips the flag and creates no release', async () => {
    const on = await succeeded('maintenance-on', { environment: 'staging-platform' });
    expect(on.changes).toEqual([{ what: 'platform-flag', from: false, to: true }]);
    expect(await platformFlag(STAGING)).toBe(true);
    expect(await configVars(STAGING)).not.toHaveProperty('MAINTENANCE_MODE');

    const off = await succeeded('maintenance-off', { environment: 'staging-platform' });
    expect(off.changes).toEqual([{ what: 'platform-flag', from: true, to: false }]);
    expect(await platformFlag(STAGING)).toBe(false);
    expect(await releases()).toEqual([]);
    const flips = (await sim.effects()).filter((effect) => effect.kind === 'maintenance');
    expect(flips).toHaveLength(2);

    const again = await succeeded('maintenance-off', { environment: 'staging-platform' });
    expect(again.changed).toBe(false);
    expect((await sim.effects()).filter((effect) => effect.kind === 'maintenance')).toHaveLength(2);
  });
});

describe('both strategies together', () => {
  test('on sets the flag and the var; off clears both', async () => {
    const on = await succeeded('maintenance-on', { environment: 'production-both' });
    expect(on.changes.map((change) => change.what)).toEqual(['platform-flag', 'config-var']);
    expect(await platformFlag(PRODUCTION)).toBe(true);
    expect((await configVars(PRODUCTION)).MAINTENANCE_MODE).toBe('True');

    const off = await succeeded('maintenance-off', { environment: 'production-both' });
    expect(off.changes.map((change) => change.what)).toEqual(['platform-flag', 'config-var']);
    expect(await platformFlag(PRODUCTION)).toBe(false);
    expect(await configVars(PRODUCTION)).not.toHaveProperty('MAINTENANCE_MODE');
    expect(await releases()).toHaveLength(2);
  });
});

describe('failures', () => {
  test('an unknown app fails after one attempt with a message that says what to check', async () => {
    const outcome = await run('maintenance-on', { app: 'no-such-app-here' });
    expect(outcome.status).toBe('failed');
    if (outcome.status !== 'failed') return;
    expect(outcome.error.type).toBe('HerokuNotFound');
    expect(outcome.error.message).toContain('/apps/no-such-app-here');
    expect(outcome.error.message).toContain("Couldn't find that app");
    expect(outcome.error.message).toMatch(/Check the app name/);
    const calls = await sim.calls();
    expect(calls.map((call) => `${call.method} ${call.path} ${call.status}`)).toEqual([
      'GET /apps/no-such-app-here 404',
    ]);
  });

  test('a wrong token fails without retry, naming HEROKU_API_KEY and never showing the token', async () => {
    const queue = uniqueTaskQueue('wrong-token');
    const wrongToken = 'not-the-simulator-token-0123456789';
    const badWorker = await createTestWorker(harness.server.nativeConnection, queue, harness.deps(wrongToken));
    const outcome = await badWorker.runUntil(run('maintenance-on', { environment: 'staging' }, queue));
    expect(outcome.status).toBe('failed');
    if (outcome.status !== 'failed') return;
    expect(outcome.error.type).toBe('HerokuUnauthorized');
    expect(outcome.error.message).toContain('HEROKU_API_KEY');
    expect(outcome.error.message).not.toContain(wrongToken);
    const calls = await sim.calls();
    expect(calls.map((call) => call.status)).toEqual([401]);
    expect(await readableHistory(harness.client, outcome.workflowId)).not.toContain(wrongToken);
  });

  test('an exhausted API budget (429 rate_limit) is waited out and retried, not failed', async () => {
    // Empty bucket refilling 2 tokens a second: calls get 429 until tokens come back, and each is retried.
    await sim.control('PUT', 'rate-limit', { remaining: 0, refillPerMinute: 120 });
    let outcome;
    try {
      outcome = await run('maintenance-on', { environment: 'staging' });
    } finally {
      // The test's own reads below share the token's bucket.
      await sim.control('PUT', 'rate-limit', { refillPerMinute: 75, remaining: 4500 });
    }
    expect(outcome).toMatchObject({ status: 'succeeded', result: { changed: true } });
    const statuses = (await sim.calls()).map((call) => call.status);
    expect(statuses[0]).toBe(429);
    expect((await configVars(STAGING)).MAINTENANCE_MODE).toBe('True');
    expect(await releases()).toHaveLength(1);
  });

  test('Heroku 503s are retried with backoff and the run succeeds', async () => {
    await sim.control('POST', 'faults', {
      method: 'GET',
      path: `/apps/${STAGING}`,
      action: 'error',
      status: 503,
      count: 2,
    });
    const on = await succeeded('maintenance-on', { environment: 'staging' });
    expect(on.changed).toBe(true);
    const appReads = (await sim.calls()).filter((call) => call.method === 'GET' && call.path === `/apps/${STAGING}`);
    expect(appReads.map((call) => call.status)).toEqual([503, 503, 200]);
  });

  test('a config change Heroku applied but answered 503 for is not applied twice when retried', async () => {
    // The PATCH goes through (a release is made), the answer is lost: the retry must find the change, not redo it.
    await sim.control('POST', 'faults', {
      method: 'PATCH',
      path: `/apps/${STAGING}/config-vars`,
      action: 'apply-then-fail',
      count: 1,
    });
    const on = await succeeded('maintenance-on', { environment: 'staging' });
    const applied = await releases();
    expect(applied).toHaveLength(1);
    expect(on.changes).toEqual([
      expect.objectContaining({
        what: 'config-var',
        from: 'unset',
        to: 'on',
        release: expect.objectContaining({ version: applied[0].version }),
      }),
    ]);
    const patches = (await sim.calls()).filter((call) => call.method === 'PATCH');
    expect(patches.map((call) => call.status)).toEqual([503]);
  });

  test('invalid input from the UI fails naming the field, before any Heroku call', async () => {
    // Started the way the Temporal UI starts it: one JSON object, no client-side check.
    const cases: Array<[unknown, RegExp]> = [
      [{ app: 'Not_A_Heroku_App' }, /app: must be a Heroku app name/],
      [{}, /environment: give an environment/],
      [{ env: 'staging' }, /env: not an input of this runbook/],
      [{ environment: 'staging', operator: '' }, /operator: must not be empty/],
    ];
    for (const [input, message] of cases) {
      const handle = await harness.client.workflow.start('maintenanceOn', {
        args: [input],
        taskQueue: harness.taskQueue,
        workflowId: uniqueTaskQueue('invalid-input'),
      });
      const outcome = await waitForRunbook(handle);
      expect(outcome.status).toBe('failed');
      if (outcome.status !== 'failed') continue;
      expect(outcome.error.type).toBe('InvalidRunbookInput');
      expect(outcome.error.message).toMatch(message);
    }
    expect(await sim.calls()).toEqual([]);
  });

  test('an unknown environment fails listing the configured ones, before any Heroku call', async () => {
    const outcome = await run('maintenance-on', { environment: 'prod' });
    expect(outcome.status === 'failed' && outcome.error).toMatchObject({
      type: 'RunbookConfigError',
      message: expect.stringContaining('Environments in test config: staging, staging-platform, production-both'),
    });
    expect(await sim.calls()).toEqual([]);
  });

  test('the client refuses invalid input before starting anything', async () => {
    await expect(
      startRunbook(harness.client, 'maintenance-on', { app: 'BAD' }, { taskQueue: harness.taskQueue }),
    ).rejects.toThrow(/Invalid input for maintenance-on: app: must be a Heroku app name/);
  });
});

describe('records', () => {
  test('the audit trail says who did what to which app, change by change, and how each run ended', async () => {
    const on = await run('maintenance-on', { environment: 'staging', reason: 'audit test' }, undefined, 'alice');
    const trail = (await harness.audit.query({ workflowId: on.workflowId })).reverse();
    expect(trail.map((entry) => [entry.seq, entry.event])).toEqual([
      [0, 'started'],
      [1, 'intent'],
      [2, 'change'],
      [3, 'succeeded'],
    ]);
    for (const entry of trail) {
      expect(entry).toMatchObject({ runbook: 'maintenance-on', operator: 'alice@csis.example', runId: on.runId });
      expect(Date.parse(entry.at)).not.toBeNaN();
    }
    // The input as checked (the proof is not kept), and who started it, verified with Heroku.
    expect(trail[0].details).toEqual({
      input: { environment: 'staging', reason: 'audit test' },
      requester: { verified: true, email: 'alice@csis.example' },
    });
    // The change is on the record before it is made, and again with its outcome.
    expect(trail[1].summary).toBe(
      'about to set MAINTENANCE_MODE=True on csis-reconasia-bravo (a release and a restart)',
    );
    expect(trail[2]).toMatchObject({
      app: STAGING,
      environment: 'staging',
      details: { outcome: 'done', change: { what: 'config-var', key: 'MAINTENANCE_MODE', to: 'on' } },
    });
    expect(trail[2].summary).toMatch(/^set MAINTENANCE_MODE on \(release v\d+\)$/);
    expect(trail[3].summary).toBe(on.status === 'succeeded' ? on.result.summary : 'unreachable');

    // A run that failed is in the trail too, with the reason.
    const failed = await run('maintenance-on', { app: 'no-such-app-here' }, undefined, 'alice');
    const failedTrail = (await harness.audit.query({ workflowId: failed.workflowId })).reverse();
    expect(failedTrail.map((entry) => entry.event)).toEqual(['started', 'failed']);
    expect(failedTrail[1].summary).toContain("Couldn't find that app");
    expect(failedTrail[1].app).toBe('no-such-app-here');

    // Queries by app find them all, newest first.
    const byApp = await harness.audit.query({
      app: STAGING,
      runbook: 'maintenance-on',
      operator: 'alice@csis.example',
    });
    expect(byApp[0].workflowId).toBe(on.workflowId);
  });

  test('search attributes name the runbook, app, environment, operator and outcome', async () => {
    const outcome = await run('maintenance-on', { environment: 'staging' }, undefined, 'bob');
    const description = await harness.client.workflow.getHandle(outcome.workflowId).describe();
    const attributes = description.typedSearchAttributes;
    expect(attributes.get(RunbookName)).toBe('maintenance-on');
    expect(attributes.get(HerokuApp)).toBe(STAGING);
    expect(attributes.get(Environment)).toBe('staging');
    expect(attributes.get(Operator)).toBe('bob@csis.example');
    expect(attributes.get(RunbookOutcome)).toBe('succeeded');
    expect(await description.staticSummary()).toBe(
      'maintenance-on on staging by bob@csis.example (proven with Heroku)',
    );
  });

  test('the progress query lists every step with its status and detail', async () => {
    const handle = await harness.start('maintenance-on', { environment: 'staging', operator: 'gina' });
    await waitForRunbook(handle);
    // A closed run still answers queries (replayed from its history).
    const progress = await handle.query(progressQuery);
    expect(progress).toMatchObject({
      runbook: 'maintenance-on',
      operator: 'unverified (claims: gina)',
      app: STAGING,
      environment: 'staging',
      status: 'succeeded',
      currentStep: null,
    });
    expect(progress.steps.map((step) => [step.name, step.status, step.detail])).toEqual([
      [
        'resolve',
        'succeeded',
        'csis-reconasia-bravo (staging); unverified (claims: gina) (changing staging: anyone may)',
      ],
      [
        'lock',
        'succeeded',
        expect.stringMatching(/^csis-reconasia-bravo is locked for this run \(app-lock-\w+\.csis-reconasia-bravo\)$/),
      ],
      ['read', 'succeeded', null],
      ['platform-flag', 'skipped', 'not used by the config-var strategy'],
      ['config-var', 'succeeded', expect.stringMatching(/^set MAINTENANCE_MODE on \(release v\d+\)$/)],
    ]);
    const configStep = progress.steps[4];
    expect(Date.parse(configStep.endedAt!)).toBeGreaterThanOrEqual(Date.parse(configStep.startedAt!));

    const again = await harness.start('maintenance-on', { environment: 'staging' });
    await waitForRunbook(again);
    expect((await again.query(progressQuery)).steps[4]).toMatchObject({
      status: 'skipped',
      detail: 'MAINTENANCE_MODE already on',
    });

    const failed = await harness.start('maintenance-on', { app: 'no-such-app-here' });
    await waitForRunbook(failed);
    const failedProgress = await failed.query(progressQuery);
    expect(failedProgress.status).toBe('failed');
    expect(failedProgress.steps.find((step) => step.name === 'read')).toMatchObject({
      status: 'failed',
      detail: expect.stringContaining("Couldn't find that app"),
    });
    expect(failedProgress.steps.find((step) => step.name === 'config-var')).toMatchObject({ status: 'pending' });
  });

  test('no config-var value reaches the workflow history', async () => {
    const secrets = await configVars(STAGING);
    const outcome = await run('maintenance-on', { environment: 'staging' });
    const history = await readableHistory(harness.client, outcome.workflowId);
    expect(history).toContain('MAINTENANCE_MODE'); // the decoded payloads are really in there
    // The secrets among them (others, like NEW_RELIC_APP_NAME = the app's name, legitimately appear).
    const secretKeys = [
      'SECRET_KEY',
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'MAPBOX_TOKEN',
      'DATABASE_URL',
      'REDISTOGO_URL',
      'MEMCACHE_PASSWORD',
      'BONSAI_URL',
    ];
    const secretLike = Object.entries(secrets).filter(([key]) => secretKeys.includes(key));
    expect(secretLike).toHaveLength(secretKeys.length);
    for (const [key, value] of secretLike) {
      expect({ key, found: history.includes(value) }).toEqual({ key, found: false });
    }
    expect(history).not.toContain(sim.token);
    const trail = JSON.stringify(await harness.audit.query({ workflowId: outcome.workflowId }));
    for (const [, value] of secretLike) expect(trail).not.toContain(value);
  });
});
