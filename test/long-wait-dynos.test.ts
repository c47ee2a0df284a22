// A one-off dyno's wait follows its log stream (issue 14): the exit line arrives the moment the process exits, with
// one log session per watch window instead of a read every few seconds. The watch activity against the simulator,
// run in a mock activity context so that each case (exited before the stream opened, a stream dropped, a
// cancellation mid-stream) can be set up exactly; test/runbooks/commands.test.ts runs it inside the workflow.
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { PlatformApi } from '../activities/heroku/platform-api';
import { oneOffDynoActivities } from '../activities/one-off-dynos';
import type { PollingSettings } from '../activities/polling';
import type { DynoRun } from '../common/commands';
import { PRODUCTION } from './support/harness';
import { TestSimulator, type Call } from './support/simulator';

let sim: TestSimulator;

beforeAll(async () => {
  sim = await TestSimulator.start();
});
afterAll(() => sim?.close());
beforeEach(async () => {
  await sim.reset();
});

const LONG_WINDOW: PollingSettings = { initialMs: 100, maxMs: 500, watchMs: 60_000 };

function watch(
  name: string,
  polling: PollingSettings = LONG_WINDOW,
  env = new MockActivityEnvironment(),
): Promise<DynoRun> {
  const platform = new PlatformApi({ apiUrl: sim.url, dataApiUrl: sim.url, apiKey: sim.token });
  return env.run(() =>
    oneOffDynoActivities(platform, polling).watchOneOffDyno({ app: PRODUCTION, name, command: 'x' }),
  );
}

async function startDyno(command: string, outcome: { durationSeconds: number; exitStatus?: number }): Promise<string> {
  await sim.control('POST', 'dyno-outcomes', { pattern: command, ...outcome });
  const dyno = (await sim.api().post(`/apps/${PRODUCTION}/dynos`, { body: { command, attach: false } })) as {
    name: string;
  };
  return dyno.name;
}

/** A long-running dyno, once up. */
async function runningDyno(): Promise<string> {
  const name = await startDyno('sleep 3600', { durationSeconds: 3600 });
  await until(
    async () => ((await sim.api().get(`/apps/${PRODUCTION}/dynos/${name}`)) as { state: string }).state,
    (state) => state === 'up',
    'the dyno to be up',
  );
  return name;
}

/** The requests made from call number `from` on (the watch's, here: nothing else talks to the simulator). */
async function callsSince(from: number): Promise<string[]> {
  return (await sim.calls()).slice(from).map((call: Call) => `${call.method} ${call.path} ${call.status}`);
}

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const value = await read();
    if (ok(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const openStreams = async () => (await sim.control<{ open: number }>('GET', 'log-streams')).open;
const exitLine = (name: string, status: number) => `heroku[${name}]: Process exited with status ${status}`;

test.each([0, 3])(
  'the exit status (%i) comes through the stream: one log session, no reads of the dyno while it runs',
  async (status) => {
    // 20 simulated seconds at 10×: the dyno runs about 2 s while the watch follows its log.
    await sim.control('PUT', 'clock', { speed: 10 });
    const name = await startDyno('python manage.py rebuild_index', { durationSeconds: 20, exitStatus: status });
    const from = (await sim.calls()).length;
    const run = await watch(name);
    expect(run).toMatchObject({ name, state: 'exited', exitStatus: status });
    expect(run.lastLines.join('\n')).toContain(exitLine(name, status));
    expect(await callsSince(from)).toEqual([`POST /apps/${PRODUCTION}/log-sessions 201`]);
    expect(await openStreams()).toBe(0);
  },
);

test('a dyno that exited before the stream opened is seen in its backlog at once', async () => {
  await sim.control('PUT', 'clock', { speed: 60 });
  const name = await startDyno('python manage.py clear_cache', { durationSeconds: 3, exitStatus: 2 });
  await until(
    async () => (await sim.effects()).some((effect) => effect.kind === 'dyno-exit' && effect.name === name),
    Boolean,
    'the dyno to exit',
  );
  const from = (await sim.calls()).length;
  const run = await watch(name);
  expect(run).toMatchObject({ state: 'exited', exitStatus: 2 });
  expect(run.lastLines.at(-1)).toMatch(
    new RegExp(`heroku\\[${name.replace('.', '\\.')}\\]: State changed from up to complete$`),
  );
  expect(await callsSince(from)).toEqual([`POST /apps/${PRODUCTION}/log-sessions 201`]);
});

test.each(['end', 'cut'] as const)(
  'a stream that drops mid-way (%s) gives way to reading the dyno, which finds its exit',
  async (how) => {
    const name = await runningDyno();
    const from = (await sim.calls()).length;
    const watching = watch(name);
    await until(openStreams, (open) => open === 1, 'the watch to open its stream');
    expect(await sim.control('POST', 'log-streams/drop', { how })).toEqual({ dropped: 1 });
    // Without the stream, the watch reads the dyno until it is gone.
    await until(
      () => callsSince(from),
      (calls) => calls.includes(`GET /apps/${PRODUCTION}/dynos/${name} 200`),
      'the watch to read the dyno',
    );
    await sim.api().post(`/apps/${PRODUCTION}/dynos/${name}/actions/stop`);
    const run = await watching;
    expect(run).toMatchObject({ state: 'exited', exitStatus: 143 });
    expect(run.lastLines).toContainEqual(expect.stringContaining(exitLine(name, 143)));
    const calls = await callsSince(from);
    expect(calls[0]).toBe(`POST /apps/${PRODUCTION}/log-sessions 201`);
    expect(calls).toContain(`GET /apps/${PRODUCTION}/dynos/${name} 404`);
  },
);

test('cancelling the watch aborts its stream', async () => {
  const name = await runningDyno();
  const env = new MockActivityEnvironment();
  const watching = watch(name, LONG_WINDOW, env);
  await until(openStreams, (open) => open === 1, 'the watch to open its stream');
  env.cancel();
  await expect(watching).rejects.toBeInstanceOf(CancelledFailure);
  await until(openStreams, (open) => open === 0, 'the stream to close');
  expect((await sim.api().get(`/apps/${PRODUCTION}/dynos/${name}`)).state).toBe('up');
});

test("the window's end closes the stream; one read of the dyno reports how it is", async () => {
  const name = await runningDyno();
  const heartbeats: unknown[] = [];
  const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 400 });
  env.on('heartbeat', (details: unknown) => heartbeats.push(details));
  const from = (await sim.calls()).length;
  const run = await watch(name, { initialMs: 100, maxMs: 500, watchMs: 1_500 }, env);
  expect(run).toEqual({ name, command: 'x', state: 'up', exitStatus: null, lastLines: [] });
  expect(await callsSince(from)).toEqual([
    `POST /apps/${PRODUCTION}/log-sessions 201`,
    `GET /apps/${PRODUCTION}/dynos/${name} 200`,
  ]);
  expect(await openStreams()).toBe(0);
  // It heartbeated while it waited on the stream (every 100 ms here: a quarter of the heartbeat timeout).
  expect(heartbeats.length).toBeGreaterThan(1);
});
