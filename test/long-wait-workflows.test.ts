// The long waits inside the runbooks (issue 14): what the watch activities asked Heroku for while a real workflow
// waited, counted in the simulator's call log by the Runbook-Activity header each request carries. A worker with
// watch windows longer than the waits, so each wait is one watch activity.
import type { Worker } from '@temporalio/worker';
import type { RunCommandResult } from '../common/commands';
import { PRODUCTION, RunbookHarness } from './support/harness';
import type { Call } from './support/simulator';
import { createTestWorker, uniqueTaskQueue } from './support/temporal';

let harness: RunbookHarness;
let worker: Worker;
let running: Promise<void>;
const queue = uniqueTaskQueue('long-waits');

beforeAll(async () => {
  harness = await RunbookHarness.start({ environments: { production: { app: PRODUCTION } } });
  worker = await createTestWorker(harness.server.nativeConnection, queue, {
    ...harness.deps(harness.sim.token),
    polling: { initialMs: 500, maxMs: 2_000, watchMs: 60_000 },
  });
  running = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await harness?.stop();
});
beforeEach(async () => {
  await harness.sim.reset();
});

/** The requests a watch activity of the run made: `METHOD path status`. */
async function watchRequests(workflowId: string, activityType: string): Promise<string[]> {
  return (await harness.sim.calls())
    .filter((call: Call) => {
      const [workflow, , , type] = (call.sender ?? '').split(' ').map(decodeURIComponent);
      return workflow === workflowId && type === activityType;
    })
    .map((call) => `${call.method} ${call.path} ${call.status}`);
}

test('rebuild-search-index waits on the dyno through its log stream: one log session, no reads of the dyno', async () => {
  await harness.sim.control('PUT', 'clock', { speed: 30 }); // the 2-minute rebuild takes 4 s
  const outcome = await harness.run<'rebuild-search-index', RunCommandResult>(
    'rebuild-search-index',
    { environment: 'production' },
    queue,
  );
  expect(outcome.status === 'succeeded' && outcome.result.dyno).toMatchObject({ state: 'exited', exitStatus: 0 });
  expect(await watchRequests(outcome.workflowId, 'watchOneOffDyno')).toEqual([
    `POST /apps/${PRODUCTION}/log-sessions 201`,
  ]);
});

test('capture-backup reads its transfer a handful of times, aiming at the end its pace predicts', async () => {
  // About 8 s at speed 1: the CLI would read it 4 times, the watch's old 0.5 s → 2 s intervals 9 times.
  await harness.sim.control('PUT', 'data-api', { transferBytesPerSecond: 1_250_000 });
  const outcome = await harness.run('capture-backup', { environment: 'production' }, queue);
  expect(outcome.status).toBe('succeeded');
  const requests = await watchRequests(outcome.workflowId, 'watchTransfer');
  const reads = requests.filter((request) => /^GET \/client\/v11\/apps\/[^/]+\/transfers\/[\w-]+ 200$/.test(request));
  expect(requests).toEqual(expect.arrayContaining([`GET /client/v11/apps/${PRODUCTION}/transfers 200`]));
  expect(requests).toHaveLength(reads.length + 1);
  expect(reads.length).toBeLessThanOrEqual(6);
});
