import {
  cliFigures,
  compareLongWait,
  concernsTarget,
  engineFigures,
  fixedPollerFigures,
  lagTargetMs,
  type CallLogEntry,
  type LongWait,
} from '../scripts/bench/long-wait-figures';

const T0 = Date.parse('2026-12-02T10:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();
const APP = 'csis-reconasia-alfa';
const UUID = 'e4be1496-642c-49c6-afff-aa07392d043e';
const sender = (activityType: string, workflowId = 'capture-backup-1') =>
  [workflowId, 'run-1', '7', activityType].map(encodeURIComponent).join(' ');

function call(ms: number, method: string, path: string, status: number, from: string | null, body?: unknown) {
  return {
    method,
    path,
    time: at(ms).replace(/\.\d{3}Z$/, 'Z'),
    receivedAt: at(ms),
    status,
    sender: from,
    ...(body === undefined ? {} : { body }),
  } satisfies CallLogEntry;
}

const transferWait: LongWait = {
  target: { kind: 'transfer', app: APP, uuid: UUID },
  startedAt: T0,
  finishedAt: at(90_000),
};
const read = (ms: number, from = sender('watchTransfer')) =>
  call(ms, 'GET', `/client/v11/apps/${APP}/transfers/${UUID}`, 200, from);

describe('engineFigures', () => {
  test("counts the watch activities' requests for the wait and the lag of the first read after its end", () => {
    const calls = [
      call(-10, 'POST', '/client/v11/databases/addon-1/backups', 201, sender('startBackupCapture')),
      read(50),
      read(1_050),
      read(2_050),
      call(2_070, 'GET', `/client/v11/apps/${APP}/transfers`, 200, sender('watchTransfer')),
      // Another run's wait, another app's transfers, a step that is no watch: not this wait's.
      call(3_000, 'GET', `/client/v11/apps/${APP}/transfers/another-uuid`, 200, sender('watchTransfer')),
      call(3_000, 'GET', '/client/v11/apps/other-app/transfers', 200, sender('watchTransfer')),
      call(3_100, 'GET', `/client/v11/apps/${APP}/transfers/${UUID}`, 200, sender('listTransfers')),
      read(60_000),
      call(80_000, 'GET', `/client/v11/apps/${APP}/transfers/${UUID}`, 503, sender('watchTransfer')),
      read(89_900),
      read(90_120),
    ];
    expect(engineFigures(calls, transferWait)).toEqual({
      waitMs: 90_000,
      requests: 8,
      detectedAt: T0 + 90_120,
      lagMs: 120,
    });
  });

  test('keeps to one run when told, and says so when no read showed the end', () => {
    const calls = [read(50), read(50, sender('watchTransfer', 'other-run')), read(80_000)];
    expect(engineFigures(calls, { ...transferWait, workflowId: 'capture-backup-1' })).toEqual({
      waitMs: 90_000,
      requests: 2,
      detectedAt: null,
      lagMs: null,
    });
  });

  test("a dyno's end shows in a read that finds it gone, or in a log session's backlog, or when the watch said so", () => {
    const name = 'run.9970';
    const wait: LongWait = { target: { kind: 'dyno', app: APP, name }, startedAt: T0, finishedAt: at(120_000) };
    const watch = sender('watchOneOffDyno');
    const session = (ms: number, dyno = name) =>
      call(ms, 'POST', `/apps/${APP}/log-sessions`, 201, watch, { dyno, lines: 100, tail: true });
    const streamed = [session(100), call(60_100, 'GET', `/apps/${APP}/dynos/${name}`, 200, watch), session(60_150)];
    // The stream brought the exit line: nothing in the call log shows it; the watch's completion does.
    expect(engineFigures(streamed, wait)).toMatchObject({ requests: 3, lagMs: null });
    expect(engineFigures(streamed, wait, at(120_030))).toMatchObject({ requests: 3, lagMs: 30 });
    const polled = [
      ...streamed,
      session(70_000, 'run.1111'),
      call(121_000, 'GET', `/apps/${APP}/dynos/${name}`, 404, watch),
      call(121_010, 'POST', `/apps/${APP}/log-sessions`, 201, watch, { dyno: name, lines: 1500, tail: false }),
    ];
    expect(engineFigures(polled, wait)).toMatchObject({ requests: 5, detectedAt: T0 + 121_000, lagMs: 1_000 });
    // A log session opened after the exit shows it in its backlog.
    expect(engineFigures([session(125_000)], wait)).toMatchObject({ requests: 1, lagMs: 5_000 });
  });

  test('falls back on the whole-second time for call logs without receivedAt', () => {
    const coarse: CallLogEntry = { ...read(90_700), receivedAt: undefined };
    expect(engineFigures([coarse], transferWait).lagMs).toBe(0);
  });
});

describe('the CLI', () => {
  test('as a fixed 3 s poller: ⌈W / 3 s⌉ + 1 reads, 1.5 s late on average', () => {
    expect(fixedPollerFigures(120_000)).toEqual({
      source: 'fixed-poller',
      waitMs: 120_000,
      requests: 41,
      detectedAt: null,
      lagMs: 0,
      meanLagMs: 1_500,
    });
    expect(fixedPollerFigures(91_008)).toMatchObject({ requests: 32, lagMs: 1_992 });
  });

  test("from a real CLI run's call log: its reads of the transfer (no Runbook-Activity header), by uuid or app id", () => {
    const cli = [0, 3_000, 6_000, 9_000].map((ms) =>
      call(ms, 'GET', `/client/v11/apps/app-uuid-1/transfers/${UUID}`, 200, null),
    );
    const ours = read(4_000);
    expect(cliFigures([...cli, ours], { ...transferWait, finishedAt: at(7_500) })).toEqual({
      source: 'call-log',
      waitMs: 7_500,
      requests: 4,
      detectedAt: T0 + 9_000,
      lagMs: 1_500,
      meanLagMs: 1_500,
    });
  });
});

describe('compareLongWait', () => {
  test('holds the engine to the targets: a quarter of the requests, 1 s + 5 % of the wait', () => {
    const calls = [read(50), read(1_050), read(2_050), read(60_000), read(83_000), read(90_120)];
    expect(compareLongWait({ calls, wait: transferWait })).toEqual({
      engine: { waitMs: 90_000, requests: 6, detectedAt: T0 + 90_120, lagMs: 120 },
      baseline: expect.objectContaining({ source: 'fixed-poller', requests: 31 }),
      requestRatio: 6 / 31,
      meetsRequestTarget: true,
      lagTargetMs: 5_500,
      meetsLagTarget: true,
    });
    const late = compareLongWait({ calls: [...calls.slice(0, 5), read(96_000)], wait: transferWait });
    expect(late).toMatchObject({ meetsRequestTarget: true, meetsLagTarget: false, engine: { lagMs: 6_000 } });
    const chatty = Array.from({ length: 31 }, (_, i) => read(i * 3_000));
    expect(compareLongWait({ calls: chatty, wait: transferWait })).toMatchObject({
      requestRatio: 1,
      meetsRequestTarget: false,
      meetsLagTarget: true,
    });
  });

  test('against a real CLI run when given one', () => {
    const cliWait: LongWait = { ...transferWait, target: { kind: 'transfer', app: APP, uuid: 'cli-uuid' } };
    const cli = Array.from({ length: 31 }, (_, i) =>
      call(i * 3_000, 'GET', `/client/v11/apps/${APP}/transfers/cli-uuid`, 200, null),
    );
    const comparison = compareLongWait({
      calls: [read(50), read(90_100)],
      wait: transferWait,
      cli: { calls: cli, wait: cliWait },
    });
    expect(comparison.baseline).toMatchObject({ source: 'call-log', requests: 31, lagMs: 0 });
    expect(comparison.requestRatio).toBe(2 / 31);
  });

  test('lagTargetMs is 1 s + 5 % of the wait', () => {
    expect(lagTargetMs(0)).toBe(1_000);
    expect(lagTargetMs(120_000)).toBe(7_000);
  });
});

test('concernsTarget: the transfer by uuid, the app’s transfer list; the dyno, its app’s dyno list and its log sessions', () => {
  const transfer = { kind: 'transfer', app: APP, uuid: UUID } as const;
  expect(concernsTarget(read(0), transfer)).toBe(true);
  expect(
    concernsTarget(call(0, 'GET', `/client/v11/apps/${APP}/transfers/${UUID.toUpperCase()}`, 200, null), transfer),
  ).toBe(true);
  expect(concernsTarget(call(0, 'GET', `/apps/${APP}/dynos`, 200, null), transfer)).toBe(false);
  const dyno = { kind: 'dyno', app: APP, name: 'run.1' } as const;
  expect(concernsTarget(call(0, 'GET', `/apps/${APP}/dynos`, 200, null), dyno)).toBe(true);
  expect(concernsTarget(call(0, 'POST', `/apps/${APP}/dynos`, 201, null), dyno)).toBe(false);
  expect(concernsTarget(call(0, 'POST', `/apps/${APP}/log-sessions`, 201, null, { dyno_name: 'run.1' }), dyno)).toBe(
    true,
  );
  expect(concernsTarget(call(0, 'POST', `/apps/${APP}/log-sessions`, 201, null, { dyno: 'run.2' }), dyno)).toBe(false);
});
