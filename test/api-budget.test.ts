// One Heroku API budget per account, shared by every worker on the token (lib/api-budget): real simulator, real
// SQLite and Postgres. Two budget instances on one database stand for two workers; the simulator's call log says
// whether Heroku ever answered 429. Nothing here is timed: the waits happen, the assertions count.
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { heartbeat } from '@temporalio/activity';
import { DefaultLogger } from '@temporalio/worker';
import type { HerokuConnection } from '../activities/heroku/connection';
import { PlatformApi } from '../activities/heroku/platform-api';
import { rememberingHeartbeats } from '../activities/heroku/waiting';
import {
  apiBudgetSettings,
  apiBudgetSettingsFromEnv,
  openApiBudget,
  type ApiBudget,
  type ApiBudgetSettings,
} from '../lib/api-budget/open-api-budget';
import { budgetAccountKey } from '../lib/api-budget/api-budget';
import { STAGING } from './support/harness';
import { createTestDatabase } from './support/postgres';
import { TestSimulator } from './support/simulator';

/** The simulator's limit, small and fast: 30 requests, then 10 a second. */
const LIMIT = { capacity: 30, refillPerMinute: 600 };
/** The budget set to exactly that limit (the reserve is then its default, one request). */
const AT_THE_LIMIT: ApiBudgetSettings = apiBudgetSettings({
  burst: LIMIT.capacity,
  perHour: LIMIT.refillPerMinute * 60,
});

let sim: TestSimulator;
let postgres: { url: string; drop(): Promise<void> };
const opened: ApiBudget[] = [];

beforeAll(async () => {
  sim = await TestSimulator.start({ rateLimit: LIMIT });
  postgres = await createTestDatabase('api_budget');
});

afterAll(async () => {
  for (const budget of opened.splice(0)) await budget.close();
  await sim?.close();
  await postgres?.drop();
});

beforeEach(() => sim.reset());

const connection = (): HerokuConnection => ({ apiUrl: sim.url, dataApiUrl: sim.url, apiKey: sim.token });

function budgetIn(location: string, settings = AT_THE_LIMIT): ApiBudget {
  const budget = openApiBudget(sim.token, settings, location);
  opened.push(budget);
  return budget;
}

const sqliteFile = () => path.join(process.env.RUNBOOK_TEST_DIR!, `api-budget-${randomUUID()}.db`);

/** A fresh place for the budget: a new SQLite file, or the Postgres database emptied of budget rows. */
const backends: Array<[string, () => Promise<string>]> = [
  ['SQLite', async () => sqliteFile()],
  [
    'Postgres',
    async () => {
      const budget = openApiBudget(sim.token, AT_THE_LIMIT, postgres.url);
      await budget.level(); // makes the table
      await budget.close();
      const { Client } = await import('pg');
      const client = new Client({ connectionString: postgres.url });
      await client.connect();
      await client.query('DELETE FROM runbook_api_budget');
      await client.end();
      return postgres.url;
    },
  ],
];

async function statuses(filter: (call: { method: string; path: string }) => boolean = () => true) {
  return (await sim.calls()).filter(filter).map((call) => call.status);
}

test('without a budget, more requests than the limit at once get 429s (what the budget is for)', async () => {
  const results = await Promise.allSettled(Array.from({ length: 40 }, () => sim.api().get(`/apps/${STAGING}`)));
  expect(results.filter((result) => result.status === 'rejected')).not.toHaveLength(0);
  expect(await statuses()).toContain(429);
});

describe.each(backends)('a budget shared in %s', (_name, place) => {
  test('two workers sending more than the limit from concurrent callers: every request succeeds, none gets 429', async () => {
    const location = await place();
    const workers = [budgetIn(location), budgetIn(location)].map((budget) => new PlatformApi(connection(), { budget }));
    const perWorker = 40;
    const apps = await Promise.all(
      workers.flatMap((platform) => Array.from({ length: perWorker }, () => platform.getApp(STAGING))),
    );
    expect(apps.map((app) => app.name)).toEqual(Array(2 * perWorker).fill(STAGING));
    const sent = await statuses((call) => call.path === `/apps/${STAGING}`);
    expect(sent.filter((status) => status !== 200)).toEqual([]);
  });

  test('Heroku saying little is left (someone else spent it) lowers the budget: the next requests wait, none gets 429', async () => {
    const location = await place();
    const budget = budgetIn(location);
    const platform = new PlatformApi(connection(), { budget });
    await platform.getApp(STAGING);
    expect(await budget.level()).toBeGreaterThan(20);
    // An operator's CLI on the same token spent all but 2.
    await sim.control('PUT', 'rate-limit', { remaining: 2 });
    await platform.getApp(STAGING);
    // Heroku answered "1 left": with the reserve of one, the budget has nothing to spare until it refills.
    expect(await budget.level()).toBeLessThan(1);
    await Promise.all(Array.from({ length: 30 }, () => platform.getApp(STAGING)));
    const sent = await statuses((call) => call.path === `/apps/${STAGING}`);
    expect(sent).toHaveLength(32);
    expect(sent.filter((status) => status !== 200)).toEqual([]);
  });
});

test('a budget that does not hear RateLimit-Remaining sends into the 429s (what the feeding is for)', async () => {
  const budget = budgetIn(sqliteFile());
  const deaf: ApiBudget = Object.assign(Object.create(budget) as ApiBudget, { observe: async () => undefined });
  const platform = new PlatformApi(connection(), { budget: deaf, rateLimitPauseMs: 10 });
  await platform.getApp(STAGING);
  await sim.control('PUT', 'rate-limit', { remaining: 2 });
  await Promise.allSettled(Array.from({ length: 10 }, () => platform.getApp(STAGING)));
  expect(await statuses()).toContain(429);
});

/** An activity attempt of a minute, with a heartbeat timeout: waits heartbeat and must keep within the attempt. */
function activityEnvironment(heartbeatDetails?: unknown) {
  return new MockActivityEnvironment(
    {
      attempt: 1,
      currentAttemptScheduledTimestampMs: Date.now(),
      scheduledTimestampMs: Date.now(),
      startToCloseTimeoutMs: 60_000,
      scheduleToCloseTimeoutMs: 0,
      heartbeatTimeoutMs: 2_000,
      heartbeatDetails,
    },
    // The refused attempt below is expected: the SDK's warning about it is noise.
    { logger: new DefaultLogger('ERROR') },
  );
}

describe('a 429 that still comes', () => {
  const dynoCreates = async () => (await sim.effects()).filter((effect) => effect.kind === 'dyno-create');
  const dynoPosts = () => statuses((call) => call.method === 'POST' && call.path === `/apps/${STAGING}/dynos`);

  test('injected (no RateLimit-Remaining): the POST waits, is sent again within the attempt, and is applied once', async () => {
    await sim.control('POST', 'faults', {
      method: 'POST',
      path: '/apps/*/dynos',
      action: 'error',
      status: 429,
      count: 2,
    });
    const platform = new PlatformApi(connection(), { budget: budgetIn(sqliteFile()), rateLimitPauseMs: 50 });
    const dyno = await activityEnvironment().run(() =>
      platform.createDyno(STAGING, { command: 'echo hi', attach: false }),
    );
    expect((dyno as { name?: string }).name).toBeTruthy();
    expect(await dynoPosts()).toEqual([429, 429, 201]);
    expect(await dynoCreates()).toHaveLength(1);
  });

  test('from an exhausted account (RateLimit-Remaining: 0): the POST waits for the refill and is applied once', async () => {
    const budget = budgetIn(sqliteFile());
    const platform = new PlatformApi(connection(), { budget });
    await sim.control('PUT', 'rate-limit', { remaining: 0 });
    const dyno = await activityEnvironment().run(() =>
      platform.createDyno(STAGING, { command: 'echo hi', attach: false }),
    );
    expect((dyno as { name?: string }).name).toBeTruthy();
    expect(await dynoPosts()).toEqual([429, 201]);
    expect(await dynoCreates()).toHaveLength(1);
  });

  test('a wait heartbeats again what the activity last heartbeated (its resume point), never nothing', async () => {
    const budget = budgetIn(sqliteFile(), apiBudgetSettings({ burst: 2, perHour: 3_600 }));
    const platform = new PlatformApi(connection(), { budget });
    const env = activityEnvironment({ before: 'an earlier attempt' });
    const beats: unknown[] = [];
    env.on('heartbeat', (details: unknown) => beats.push(details));
    const { activity } = rememberingHeartbeats({
      activity: async () => {
        await platform.getApp(STAGING); // the budget's one request (burst 2, reserve 1)
        await platform.getApp(STAGING); // waits a second for the refill, heartbeating
        heartbeat({ started: 'dyno.1' });
        await platform.getApp(STAGING); // waits again
      },
    });
    await env.run(activity);
    expect(beats.length).toBeGreaterThanOrEqual(3);
    const beforeOwn = beats.slice(
      0,
      beats.findIndex((details) => (details as { started?: string })?.started),
    );
    const afterOwn = beats.slice(beforeOwn.length + 1);
    expect(beforeOwn.length).toBeGreaterThan(0);
    expect(afterOwn.length).toBeGreaterThan(0);
    expect(beforeOwn).toEqual(beforeOwn.map(() => ({ before: 'an earlier attempt' })));
    expect(afterOwn).toEqual(afterOwn.map(() => ({ started: 'dyno.1' })));
  });

  test('a budget that cannot serve the request within the attempt fails it retryably, sending nothing', async () => {
    const budget = budgetIn(sqliteFile(), apiBudgetSettings({ burst: 2, perHour: 60 }));
    const platform = new PlatformApi(connection(), { budget });
    await platform.getApp(STAGING);
    const failure = await activityEnvironment()
      .run(() => platform.getApp(STAGING))
      .catch((err: { type?: string; nonRetryable?: boolean; message: string }) => err);
    expect(failure).toMatchObject({ type: 'HerokuRateLimited', nonRetryable: false });
    expect((failure as Error).message).toMatch(/no request free for GET \/apps\/.* for 60 s.*nothing was sent/);
    expect(await statuses()).toEqual([200]);
    // Nothing stays reserved for the refused request: the next one waits a minute, not two.
    expect(await budget.level()).toBeGreaterThan(-0.1);
  });
});

test("pages of a list are followed here, each taking the budget's token", async () => {
  const budget = budgetIn(sqliteFile(), apiBudgetSettings({ burst: LIMIT.capacity, perHour: 1, reserve: 0 }));
  const platform = new PlatformApi(connection(), { budget });
  const releases = await platform.recentReleases(STAGING);
  const before = await budget.level();
  const paged = await platform.request<unknown[]>('GET', `/apps/${STAGING}/releases`, {
    headers: { Range: 'version ..; order=desc, max=1' },
  });
  expect(paged).toEqual(releases);
  const pages = (await sim.calls()).filter((call) => call.path === `/apps/${STAGING}/releases`).length - 1;
  expect(pages).toBe(releases.length);
  expect(before - (await budget.level())).toBeCloseTo(pages, 1);
});

test('GET /account/rate-limits is free: it takes no token, and sets the budget to what Heroku says', async () => {
  const budget = budgetIn(sqliteFile(), apiBudgetSettings({ burst: 30, perHour: 1, reserve: 0 }));
  const platform = new PlatformApi(connection(), { budget });
  await sim.control('PUT', 'rate-limit', { remaining: 12 });
  const remaining = await platform.readRateLimit();
  // 12, and what the simulator refilled since.
  expect(remaining).toBeGreaterThanOrEqual(12);
  expect(remaining).toBeLessThan(LIMIT.capacity);
  expect(await budget.level()).toBeCloseTo(remaining, 1);
});

test('settings: Heroku by default, a reserve for people, refusals that name the variable', () => {
  expect(apiBudgetSettingsFromEnv({})).toEqual({ perHour: 4500, burst: 4500, reserve: 90 });
  expect(
    apiBudgetSettingsFromEnv({ RUNBOOK_HEROKU_BUDGET_PER_HOUR: '36000', RUNBOOK_HEROKU_BUDGET_BURST: '30' }),
  ).toEqual({ perHour: 36000, burst: 30, reserve: 1 });
  expect(() => apiBudgetSettingsFromEnv({ RUNBOOK_HEROKU_BUDGET_PER_HOUR: 'lots' })).toThrow(
    /RUNBOOK_HEROKU_BUDGET_PER_HOUR must be a number/,
  );
  expect(() =>
    apiBudgetSettingsFromEnv({ RUNBOOK_HEROKU_BUDGET_BURST: '10', RUNBOOK_HEROKU_BUDGET_RESERVE: '10' }),
  ).toThrow(/RUNBOOK_HEROKU_BUDGET_RESERVE must be .* below the burst \(10\)/);
  // The row is the token's hash: the token itself is nowhere in the store.
  expect(budgetAccountKey(sim.token)).toMatch(/^[0-9a-f]{64}$/);
  expect(budgetAccountKey(sim.token)).not.toContain(sim.token);
});
