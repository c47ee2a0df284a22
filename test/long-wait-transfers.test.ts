// A transfer's wait reads it when its pace says it will be done (issue 14), not on a timer: the watch activity
// against the simulator, in a mock activity context, with transfers that keep their pace, speed up or slow down
// half-way (the simulator's `transfers/{uuid}/pace`). How soon the end is seen is the bench's to measure
// (scripts/bench/long-wait-figures.ts) and test/long-wait-transfer-polls.test.ts's to compute; here, what the watch
// does.
import { MockActivityEnvironment } from '@temporalio/testing';
import { backupActivities } from '../activities/backups';
import { DataApi, type Transfer } from '../activities/heroku/data-api';
import type { PollingSettings } from '../activities/polling';
import type { TransferSummary } from '../common/backups';
import { PRODUCTION } from './support/harness';
import { TestSimulator } from './support/simulator';

let sim: TestSimulator;

beforeAll(async () => {
  sim = await TestSimulator.start();
});
afterAll(() => sim?.close());
beforeEach(async () => {
  await sim.reset();
  await sim.control('PUT', 'data-api', { transferPendingMs: 100 });
});

const DATA = () => new DataApi({ apiUrl: sim.url, dataApiUrl: sim.url, apiKey: sim.token });
/** The alfa database dumps to 10 125 798 bytes (b016's compression): at this pace, about 8 s. */
const PACE = 1_250_000;
const POLLING: PollingSettings = { initialMs: 500, maxMs: 2_000, watchMs: 60_000 };

async function capture(): Promise<Transfer> {
  await sim.control('PUT', 'data-api', { transferBytesPerSecond: PACE });
  const addon = (await sim.api().get(`/apps/${PRODUCTION}/addons/DATABASE`)) as { id: string };
  return (await sim.api().post(`/client/v11/databases/${addon.id}/backups`)) as Transfer;
}

const watchOnce = (activities: ReturnType<typeof backupActivities>, uuid: string): Promise<TransferSummary> =>
  new MockActivityEnvironment().run(() => activities.watchTransfer({ app: PRODUCTION, uuid }));

/** The watch's requests from call number `from` on: reads of the transfer (by uuid) and of the app's transfers. */
async function watchCalls(from: number, uuid: string) {
  const calls = (await sim.calls()).slice(from);
  return {
    reads: calls.filter((call) => call.method === 'GET' && call.path.endsWith(`/transfers/${uuid}`)),
    lists: calls.filter((call) => call.method === 'GET' && call.path.endsWith('/transfers')),
    all: calls,
  };
}

async function until(probe: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Once the watch has measured the pace (its one look at the app's earlier backups comes right after). */
const paceMeasured = (from: number, uuid: string) =>
  until(async () => (await watchCalls(from, uuid)).lists.length > 0, 'the watch to measure the pace');

test("a capture's end is predicted from its pace and its database's last backup: a handful of reads", async () => {
  const started = await capture();
  const from = (await sim.calls()).length;
  const watched = await watchOnce(backupActivities(DATA(), POLLING), started.uuid);
  expect(watched).toMatchObject({ uuid: started.uuid, status: 'succeeded', processedBytes: 10_125_798 });
  const { reads, lists, all } = await watchCalls(from, started.uuid);
  // The CLI reads it every 3 s (4 reads for 8 s); the first three of these are spent finding the pace, the rest
  // aim at the end. Polling at the old 0.5 s → 2 s intervals made 9.
  expect(reads.length).toBeLessThanOrEqual(6);
  expect(lists).toHaveLength(1);
  expect(all).toHaveLength(reads.length + 1);
});

test.each([
  ['speeds up fourfold', PACE * 4],
  ['slows to half its pace', PACE / 2],
])('a transfer that %s once its pace was measured is followed to its end', async (_what, bytesPerSecond) => {
  const started = await capture();
  const from = (await sim.calls()).length;
  const watching = watchOnce(backupActivities(DATA(), POLLING), started.uuid);
  await paceMeasured(from, started.uuid);
  await sim.control('PUT', `transfers/${started.uuid}/pace`, { bytesPerSecond });
  expect(await watching).toMatchObject({ status: 'succeeded', processedBytes: 10_125_798 });
  // Re-estimated at each read: a few more reads than at a steady pace, never a read every interval.
  expect((await watchCalls(from, started.uuid)).reads.length).toBeLessThanOrEqual(10);
});

test('a restore needs no earlier transfers: it will have processed its dump', async () => {
  await sim.control('PUT', 'data-api', { transferBytesPerSecond: PACE });
  const b016 = (await sim.api().get(`/client/v11/apps/${PRODUCTION}/transfers/16`)) as Transfer;
  const addon = (await sim.api().get(`/apps/${PRODUCTION}/addons/DATABASE`)) as { id: string };
  const from = (await sim.calls()).length;
  const restore = (await sim.api().post(`/client/v11/databases/${addon.id}/restores`, {
    body: { backup_url: b016.to_url },
  })) as Transfer;
  expect(await watchOnce(backupActivities(DATA(), POLLING), restore.uuid)).toMatchObject({
    kind: 'restore',
    status: 'succeeded',
  });
  const { reads, lists } = await watchCalls(from + 1, restore.uuid);
  expect(lists).toEqual([]);
  expect(reads.length).toBeLessThanOrEqual(6);
});

test('a window ends with a read; the next goes on from what this worker saw, without a read at its start', async () => {
  await sim.control('PUT', 'data-api', { transferBytesPerSecond: 100_000 }); // about 100 s
  const short: PollingSettings = { initialMs: 200, maxMs: 500, watchMs: 1_500 };
  const activities = backupActivities(DATA(), short);
  const addon = (await sim.api().get(`/apps/${PRODUCTION}/addons/DATABASE`)) as { id: string };
  const started = (await sim.api().post(`/client/v11/databases/${addon.id}/backups`)) as Transfer;
  const first = await watchOnce(activities, started.uuid);
  expect(first.status).toBe('running');
  const from = (await sim.calls()).length;
  const second = await watchOnce(activities, started.uuid);
  expect(second.status).toBe('running');
  expect(second.processedBytes!).toBeGreaterThan(first.processedBytes!);
  // The predicted end is far off: the second window's one read is the one that ends it, reporting progress.
  expect((await watchCalls(from, started.uuid)).all).toHaveLength(1);
  await sim.control('POST', 'reset');
});

test('on a low API budget reads are the slowest interval apart', async () => {
  await sim.control('PUT', 'rate-limit', { remaining: 100 });
  const started = await capture();
  const from = (await sim.calls()).length;
  const watched = await watchOnce(
    backupActivities(DATA(), { initialMs: 100, maxMs: 3_000, watchMs: 60_000 }),
    started.uuid,
  );
  expect(watched.status).toBe('succeeded');
  const reads = (await watchCalls(from, started.uuid)).reads.map((call) => Date.parse(call.receivedAt!));
  // 8 s of transfer at one read per 3 s at most, instead of the pace's reads close to the end.
  expect(reads.length).toBeLessThanOrEqual(5);
  for (let i = 1; i < reads.length; i++) expect(reads[i] - reads[i - 1]).toBeGreaterThanOrEqual(2_900);
});
