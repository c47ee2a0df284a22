// How a transfer's wait plans its reads (activities/transfer-polls.ts), played out on a simulated clock: the watch's
// loop (activities/backups.ts) against transfers with a known course — steady, misjudged, speeding up, slowing
// down, stalling at the end — counting its reads and how late each sees the end. Nothing here waits for real time,
// so the figures are exact: the targets are ≤ ¼ of the CLI's reads (one every 3 s) and a lag of at most
// 1 s + 5 % of the wait.
import type { Transfer } from '../activities/heroku/data-api';
import { DEFAULT_POLLING, type PollingSettings } from '../activities/polling';
import {
  COMPRESSION_SPREAD,
  expectTransfer,
  lagBudgetMs,
  needsHistory,
  newTransferWatch,
  planTransferPoll,
  sighted,
  windowedRead,
} from '../activities/transfer-polls';
import { fixedPollerFigures } from '../scripts/bench/long-wait-figures';

/** A transfer's course: pending, then bytes processed as a function of the time since its creation, then done. */
interface Course {
  pendingMs: number;
  /** processed_bytes at `ms` after creation, once started. */
  bytesAt(ms: number): number;
  endsAt: number;
  /** What the planner is told it will end at (a restore: exactly; a capture: from its last backup). */
  kind: 'restore' | 'capture';
  sourceBytes: number;
  /** The earlier backup's compression (processed ÷ source), for a capture. */
  historyRatio?: number;
}

const LATENCY_MS = 40; // each way: Heroku answers with the state at the middle of the read

function transferAt(course: Course, ms: number): Transfer {
  const running = ms >= course.pendingMs;
  const done = ms >= course.endsAt;
  return {
    uuid: 'u',
    num: 17,
    from_type: course.kind === 'restore' ? 'gof3r' : 'pg_dump',
    to_type: course.kind === 'restore' ? 'pg_restore' : 'gof3r',
    from_name: course.kind === 'restore' ? 'b016' : 'DATABASE',
    source_bytes: course.sourceBytes,
    processed_bytes: running ? course.bytesAt(Math.min(ms, course.endsAt)) : 0,
    created_at: '2026-12-02T00:00:00Z',
    started_at: running ? '2026-12-02T00:00:01Z' : null,
    finished_at: done ? '2026-12-02T00:02:00Z' : null,
    succeeded: done,
  };
}

function history(course: Course): Transfer[] {
  if (course.historyRatio === undefined) return [];
  const source = 1_000_000;
  return [
    {
      ...transferAt({ ...course, kind: 'capture' }, 0),
      uuid: 'earlier',
      num: 16,
      source_bytes: source,
      processed_bytes: Math.round(source * course.historyRatio),
      succeeded: true,
      finished_at: '2026-12-01T00:00:00Z',
    },
  ];
}

/**
 * The watch's loop (activities/backups.ts), window after window, on a simulated clock from the transfer's creation:
 * how many requests it makes and when it first sees the end. A new window starts as soon as the last returned.
 */
function playOut(course: Course, polling: PollingSettings = DEFAULT_POLLING, rateLimitRemaining = 4500) {
  let now = 50; // the watch starts just after the transfer was created
  let requests = 0;
  const watch = newTransferWatch(now, polling);
  const reads: number[] = [];
  for (let windows = 0; windows < 1_000; windows++) {
    const windowEnd = now + polling.watchMs;
    const stretchedEnd = windowEnd + polling.maxMs;
    for (;;) {
      const planned = now + planTransferPoll(watch, now, polling, rateLimitRemaining).delayMs;
      const { at, lastOfWindow } = windowedRead(planned, windowEnd, stretchedEnd);
      now = Math.max(now, at);
      const transfer = transferAt(course, now + LATENCY_MS);
      requests++;
      reads.push(now);
      now += 2 * LATENCY_MS;
      const running = !!transfer.started_at && !transfer.finished_at;
      sighted(watch, { at: now, running, processedBytes: transfer.processed_bytes ?? 0 }, polling, rateLimitRemaining);
      if (transfer.finished_at) {
        const waitMs = course.endsAt;
        return { requests, lagMs: now - course.endsAt, waitMs, budgetMs: lagBudgetMs(waitMs), reads };
      }
      if (!watch.expectation && running && watch.previous?.running) {
        if (needsHistory(transfer)) requests++;
        watch.expectation = expectTransfer(transfer, needsHistory(transfer) ? history(course) : undefined);
      }
      if (lastOfWindow) break;
    }
  }
  throw new Error('the watch never saw the end');
}

/** A steady transfer: pending 1 s, then `runMs` at one pace to `totalBytes`. */
function steady(runMs: number, totalBytes: number, rest: Partial<Course> = {}): Course {
  const pendingMs = 1_000;
  return {
    pendingMs,
    bytesAt: (ms) => Math.floor((totalBytes * (ms - pendingMs)) / runMs),
    endsAt: pendingMs + runMs,
    kind: 'restore',
    sourceBytes: totalBytes,
    ...rest,
  };
}

const cliRequests = (waitMs: number) => fixedPollerFigures(waitMs).requests;

describe('a steady two-minute transfer', () => {
  test.each([
    ['a restore (its dump size known)', steady(119_000, 40_000_000)],
    [
      'a capture (its size guessed from the last backup)',
      steady(119_000, 10_600_000, { kind: 'capture', sourceBytes: 40_000_000, historyRatio: 0.265 }),
    ],
  ])('%s: at most a quarter of the CLI’s reads, the end seen within 1 s + 5 %', (_what, course) => {
    const { requests, lagMs, budgetMs, waitMs } = playOut(course);
    expect(cliRequests(waitMs)).toBe(41);
    expect(requests).toBeLessThanOrEqual(41 / 4);
    expect(lagMs).toBeLessThanOrEqual(budgetMs);
    expect(lagMs).toBeGreaterThanOrEqual(0);
  });
});

test.each([
  ['compresses worse than its last backup (ends later)', 0.265 * (1 - COMPRESSION_SPREAD)],
  ['compresses better than its last backup (ends earlier)', 0.265 * (1 + COMPRESSION_SPREAD)],
])('a capture that %s is still seen within the lag budget', (_what, historyRatio) => {
  const course = steady(119_000, 10_600_000, { kind: 'capture', sourceBytes: 40_000_000, historyRatio });
  const { requests, lagMs, budgetMs, waitMs } = playOut(course);
  expect(lagMs).toBeLessThanOrEqual(budgetMs);
  expect(requests).toBeLessThanOrEqual(cliRequests(waitMs) / 4);
});

/** A transfer whose pace changes by `factor` when it is `at` through its bytes. */
function changingPace(factor: number, at = 0.5): Course {
  const total = 40_000_000;
  const pendingMs = 1_000;
  const firstRate = total / 119_000;
  const switchMs = pendingMs + (at * total) / firstRate;
  const bytesAt = (ms: number) =>
    Math.floor(ms <= switchMs ? (ms - pendingMs) * firstRate : at * total + (ms - switchMs) * firstRate * factor);
  return {
    pendingMs,
    bytesAt,
    endsAt: switchMs + ((1 - at) * total) / (firstRate * factor),
    kind: 'restore',
    sourceBytes: total,
  };
}

test('a transfer that slows to half its pace half-way: a longer wait, its end still seen in time', () => {
  const { requests, lagMs, budgetMs, waitMs } = playOut(changingPace(0.5));
  expect(waitMs).toBe(179_500);
  expect(lagMs).toBeLessThanOrEqual(budgetMs);
  expect(requests).toBeLessThanOrEqual(cliRequests(waitMs) / 4);
});

test('a transfer whose pace doubles half-way is seen no later than a third of the time it had left', () => {
  // The honest limit (activities/transfer-polls.ts): a read planned for the old pace's end, two thirds of the time
  // left at the latest, comes after an end the jump brought forward.
  const course = changingPace(2);
  const { requests, lagMs, waitMs } = playOut(course);
  expect(waitMs).toBe(90_250);
  const leftAtJumpByOldPace = 59_500;
  expect(lagMs).toBeLessThanOrEqual(leftAtJumpByOldPace / 3);
  expect(requests).toBeLessThanOrEqual(cliRequests(waitMs) / 4);
});

test('a restore that builds its indexes for a minute after its bytes is read at the lag budget meanwhile', () => {
  const bytes = steady(119_000, 40_000_000);
  const course: Course = {
    ...bytes,
    endsAt: bytes.endsAt + 60_000,
    bytesAt: (ms) => bytes.bytesAt(Math.min(ms, 120_000)),
  };
  const { requests, lagMs, budgetMs, waitMs } = playOut(course);
  expect(lagMs).toBeLessThanOrEqual(budgetMs);
  expect(requests).toBeLessThanOrEqual(cliRequests(waitMs) / 4);
});

test("a first backup (no earlier one to guess its size from) is read at the lag budget: in time, no more reads than the CLI's", () => {
  // The limit of prediction: nothing says where the dump will end, so reads keep to 1 s + 5 % of the wait so far —
  // about as many as the CLI's on a two-minute wait (fewer on longer ones: the budget grows, its interval does not).
  const course = steady(119_000, 10_600_000, { kind: 'capture', sourceBytes: 40_000_000 });
  const { requests, lagMs, budgetMs, waitMs } = playOut(course);
  expect(lagMs).toBeLessThanOrEqual(budgetMs);
  expect(requests).toBeLessThanOrEqual(cliRequests(waitMs));
  const long = playOut(steady(599_000, 53_000_000, { kind: 'capture', sourceBytes: 200_000_000 }));
  expect(long.lagMs).toBeLessThanOrEqual(long.budgetMs);
  expect(long.requests).toBeLessThan(cliRequests(long.waitMs) / 2);
});

test('a long transfer is read at least once a watch window (its progress), and otherwise as rarely as before', () => {
  // Thirty minutes: one read a minute for the progress, and a few near the end.
  const { requests, lagMs, budgetMs, reads } = playOut(steady(1_800_000, 4_000_000_000));
  expect(lagMs).toBeLessThanOrEqual(budgetMs);
  expect(requests).toBeLessThanOrEqual(1_800_000 / DEFAULT_POLLING.watchMs + 8);
  for (let i = 1; i < reads.length; i++)
    expect(reads[i] - reads[i - 1]).toBeLessThanOrEqual(
      DEFAULT_POLLING.watchMs + DEFAULT_POLLING.maxMs + 2 * LATENCY_MS,
    );
});

describe('planTransferPoll', () => {
  const polling: PollingSettings = { initialMs: 1_000, maxMs: 15_000, watchMs: 60_000 };
  const restore = expectTransfer(transferAt(steady(100_000, 1_000_000), 50_000), undefined);

  test('reads first after initialMs, then pending at growing intervals, and a second running read after initialMs', () => {
    const watch = newTransferWatch(0, polling);
    expect(planTransferPoll(watch, 0, polling, undefined)).toMatchObject({ delayMs: 1_000, phase: 'first' });
    expect(planTransferPoll(watch, 400, polling, undefined)).toMatchObject({ delayMs: 600, phase: 'first' });
    sighted(watch, { at: 0, running: false, processedBytes: 0 }, polling, undefined);
    expect(planTransferPoll(watch, 0, polling, undefined)).toMatchObject({ delayMs: 1_000, phase: 'pending' });
    sighted(watch, { at: 1_000, running: false, processedBytes: 0 }, polling, undefined);
    expect(planTransferPoll(watch, 1_000, polling, undefined)).toMatchObject({ delayMs: 1_500, phase: 'pending' });
    sighted(watch, { at: 2_500, running: true, processedBytes: 10 }, polling, undefined);
    expect(planTransferPoll(watch, 2_500, polling, undefined)).toMatchObject({ delayMs: 1_000, phase: 'pace' });
  });

  test('aims just after the predicted end once it is near, a little before it (to re-estimate) while far', () => {
    const watch = { ...newTransferWatch(0, polling), expectation: restore };
    sighted(watch, { at: 1_000, running: true, processedBytes: 0 }, polling, undefined);
    sighted(watch, { at: 2_000, running: true, processedBytes: 10_000 }, polling, undefined); // 10 bytes/ms: ends at 101 s
    const far = planTransferPoll(watch, 2_000, polling, undefined);
    expect(far).toMatchObject({ phase: 'far', predictedEndAt: 101_000 });
    expect(far.delayMs).toBe(66_000); // two thirds of the 99 s left
    sighted(watch, { at: 97_000, running: true, processedBytes: 960_000 }, polling, undefined);
    expect(planTransferPoll(watch, 97_000, polling, undefined)).toMatchObject({ phase: 'near', delayMs: 4_100 });
  });

  test('no progress between two reads, or past the predicted end: a read every lag budget', () => {
    const watch = { ...newTransferWatch(0, polling), expectation: restore };
    sighted(watch, { at: 60_000, running: true, processedBytes: 1_000_000 }, polling, undefined);
    sighted(watch, { at: 80_000, running: true, processedBytes: 1_000_000 }, polling, undefined);
    expect(planTransferPoll(watch, 80_000, polling, undefined)).toMatchObject({ phase: 'bounded', delayMs: 5_000 });
  });

  test('on a low API budget (RateLimit-Remaining below 300), never more often than maxMs', () => {
    const watch = { ...newTransferWatch(0, polling), expectation: restore };
    sighted(watch, { at: 1_000, running: true, processedBytes: 0 }, polling, 299);
    expect(planTransferPoll(watch, 1_000, polling, 299).delayMs).toBe(15_000);
    expect(planTransferPoll(watch, 1_000, polling, 300).delayMs).toBe(1_000);
  });
});

describe('expectTransfer', () => {
  const capture = (over: Partial<Transfer>): Transfer => ({
    ...transferAt(steady(1, 1, { kind: 'capture', sourceBytes: 40_000_000 }), 0),
    ...over,
  });

  test("a restore ends at its dump's size; a capture at its database's size times its last backup's compression", () => {
    expect(expectTransfer(transferAt(steady(1, 5_000), 0), undefined)).toEqual({ totalBytes: 5_000, spread: 0 });
    const earlier = [
      capture({ uuid: 'a', num: 15, succeeded: true, source_bytes: 100, processed_bytes: 50 }),
      capture({ uuid: 'b', num: 16, succeeded: true, source_bytes: 100, processed_bytes: 25 }),
      capture({ uuid: 'c', num: 17, succeeded: false, source_bytes: 100, processed_bytes: 90 }),
      capture({
        uuid: 'd',
        num: 18,
        succeeded: true,
        from_name: 'HEROKU_POSTGRESQL_RED',
        source_bytes: 100,
        processed_bytes: 75,
      }),
    ];
    expect(expectTransfer(capture({ num: 19 }), earlier)).toEqual({
      totalBytes: 10_000_000,
      spread: COMPRESSION_SPREAD,
    });
  });

  test('nothing to go by: unknown', () => {
    expect(expectTransfer(capture({ num: 19 }), [])).toEqual({ totalBytes: null, spread: 0 });
    expect(expectTransfer(capture({ source_bytes: null }), undefined)).toEqual({ totalBytes: null, spread: 0 });
    expect(needsHistory(capture({}))).toBe(true);
    expect(needsHistory(transferAt(steady(1, 5_000), 0))).toBe(false);
  });
});
