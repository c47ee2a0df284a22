import { LOW_RATE_LIMIT, nextPollInterval, type PollingSettings } from './polling';
import { summarize, type Transfer } from './heroku/data-api';

/**
 * When to look at a running transfer next (issue 14: few requests per long wait, its end seen at once).
 *
 * The official CLI reads a transfer every 3 s: ~41 reads for a 2-minute transfer, the end seen 1.5 s late on average.
 * A transfer says how far it is (`processed_bytes`) and how far it will go, so its end can be predicted: the pace
 * is the bytes it processed between two reads over the time between them — measured on the worker's clock, since
 * the data API's times are whole seconds — and the watch sleeps until just after the predicted end, re-estimating on
 * the way. The lag to aim for is 1 s + 5 % of the wait (`lagBudgetMs`).
 *
 * - Nothing seen yet: a first read after `initialMs` (the transfer was created pending a moment ago).
 * - Pending, or a first sighting while running: no pace yet. Pending polls grow geometrically (no transfer ends while
 *   pending); a first running sighting is followed by another after `initialMs`, to measure the pace.
 * - A pace and a known end (a restore: `source_bytes`; a capture: its database's size times the compression of its
 *   last backup): the predicted end E. Far from it, the next read is at E − u, where u is how wrong E may be (10 % of
 *   the time left, plus the spread of the compression guess): each read re-estimates, and the error shrinks with the
 *   time left. Once u fits in the lag budget, the next read is just after E: an end anywhere in [E − u, E] is then
 *   seen within u + a hair. Either way no sleep is longer than two thirds of the time left (unless all of it fits
 *   in the lag budget), nor than the watch window (each window ends with a read, which reports progress).
 * - No progress between two reads (a restore building its indexes after the data), past the predicted end, or no
 *   end to aim at (a first backup): reads every lag budget, within [initialMs, maxMs] — bounded lag, few reads.
 *
 * What this cannot promise: an end much earlier than predicted is seen only at the next read. If the pace jumps
 * k-fold right after a read with R left, the transfer ends at R/k and is read at most 2R/3 later: an end up to a third
 * early (k ≤ 1.5) is seen in time, a fourfold jump R(2/3 − 1/4) ≈ 0.4·R late — at most the watch window (a minute).
 * The time left shrinks with every read, so the later in the wait the jump, the smaller the lag. A transfer that
 * slows down is seen within the lag budget: its next read finds it running and re-estimates. Real transfers slow
 * down more often than they speed up (a restore builds its indexes after its bytes).
 */

export interface TransferSighting {
  /** The worker's clock (ms) when the answer arrived. */
  at: number;
  running: boolean;
  processedBytes: number;
}

export interface TransferExpectation {
  /** processed_bytes when it is done; null when there is nothing to go by. */
  totalBytes: number | null;
  /** How far off totalBytes may be, as a fraction of it (0 for a restore's known size). */
  spread: number;
}

export interface TransferWatchState {
  /** When the worker first saw the transfer (ms): the wait so far, for the lag budget. */
  firstSeenAt: number;
  previous?: TransferSighting;
  last?: TransferSighting;
  /** The pending phase's geometric interval. */
  interval: number;
  expectation?: TransferExpectation;
}

/** How late the end may be seen: 1 s + 5 % of the wait (the target). */
export function lagBudgetMs(waitMs: number): number {
  return 1_000 + 0.05 * Math.max(0, waitMs);
}

/** How much of the time left a prediction may be off by: a margin for real transfers' uneven pace. */
const PACE_UNCERTAINTY = 0.1;
/** At most this share of the time left is slept through at once (see planTransferPoll). */
const PACE_JUMP_GUARD = 2 / 3;
/** Read this long after the predicted end: the worker's and Heroku's answers take a little time each way. */
const AFTER_END_MS = 100;

export interface PollPlan {
  /** From now, ms. */
  delayMs: number;
  /** Why, in a word (for tests and debugging). */
  phase: 'first' | 'pending' | 'pace' | 'far' | 'near' | 'bounded';
  /** The predicted end (worker clock, ms), when there is one. */
  predictedEndAt?: number;
}

/** The shortest wait between two reads: no busy loop, however close the predicted end. */
export function minimumDelayMs(polling: PollingSettings): number {
  return Math.min(250, polling.initialMs);
}

/** A read every lag budget (within initialMs..maxMs): for waits whose end cannot be predicted. */
export function boundedIntervalMs(state: TransferWatchState, now: number, polling: PollingSettings): number {
  return Math.min(polling.maxMs, Math.max(polling.initialMs, lagBudgetMs(now - state.firstSeenAt)));
}

/** The bytes per ms between the last two running sightings; undefined without two. */
export function paceOf(state: TransferWatchState): number | undefined {
  const { previous, last } = state;
  if (!previous?.running || !last?.running || last.at <= previous.at) return undefined;
  return (last.processedBytes - previous.processedBytes) / (last.at - previous.at);
}

/** When the next read is due, given what the watch has seen (see the module comment). */
export function planTransferPoll(
  state: TransferWatchState,
  now: number,
  polling: PollingSettings,
  rateLimitRemaining: number | undefined,
): PollPlan {
  const plan = planAtFullBudget(state, now, polling);
  // On a low API budget, never more often than the slowest interval: other runbooks need the budget too.
  const low = rateLimitRemaining !== undefined && rateLimitRemaining < LOW_RATE_LIMIT;
  const floor = low && state.last ? polling.maxMs - (now - state.last.at) : 0;
  return {
    ...plan,
    delayMs: Math.round(Math.max(floor, plan.delayMs, minimumDelayMs(polling))),
  };
}

function planAtFullBudget(state: TransferWatchState, now: number, polling: PollingSettings): PollPlan {
  const { last } = state;
  // The first read of a watch that knows nothing yet: a transfer was pending when it was created a moment ago, and
  // one that finished while no watch looked (a retry on another worker) is seen initialMs late — one read fewer.
  if (!last) return { delayMs: polling.initialMs - (now - state.firstSeenAt), phase: 'first' };
  const sinceLast = now - last.at;
  if (!last.running) return { delayMs: state.interval - sinceLast, phase: 'pending' };
  const pace = paceOf(state);
  if (pace === undefined) return { delayMs: polling.initialMs - sinceLast, phase: 'pace' };
  const bounded = { delayMs: boundedIntervalMs(state, now, polling) - sinceLast, phase: 'bounded' } as const;
  const total = state.expectation?.totalBytes;
  if (total === null || total === undefined || pace <= 0) return bounded;
  const predictedEndAt = last.at + (total - last.processedBytes) / pace;
  const left = predictedEndAt - now;
  if (left <= 0) return bounded; // past its predicted end: any moment now
  const uncertainty = PACE_UNCERTAINTY * left + (state.expectation!.spread * total) / pace;
  const budget = lagBudgetMs(predictedEndAt - state.firstSeenAt);
  const far = uncertainty + AFTER_END_MS > budget;
  const aimed = far ? left - uncertainty : left + AFTER_END_MS;
  // Unless all the time left is within the lag budget, read again after two thirds of it at the latest: should the
  // pace jump right after this read, an end up to a third early is still seen in time, and a later one sooner.
  const guarded = left > budget ? Math.min(aimed, Math.max(budget, PACE_JUMP_GUARD * left)) : aimed;
  return { delayMs: guarded, phase: far ? 'far' : 'near', predictedEndAt };
}

/** A watch's memory of a transfer it has not read yet. */
export function newTransferWatch(now: number, polling: PollingSettings): TransferWatchState {
  return { firstSeenAt: now, interval: polling.initialMs };
}

/** Notes a read's answer: the sighting before it becomes the one the pace is measured from. */
export function sighted(
  state: TransferWatchState,
  sighting: TransferSighting,
  polling: PollingSettings,
  rateLimitRemaining: number | undefined,
): void {
  // Pending after pending: the next pending read waits longer (a transfer does not end while pending).
  if (!sighting.running && state.last && !state.last.running) {
    state.interval = nextPollInterval(state.interval, polling, rateLimitRemaining);
  }
  state.previous = state.last;
  state.last = sighting;
}

/**
 * How far a backup's compression may differ from its database's last backup's: the data changes between the two.
 * A guess on the safe side, it costs a read or two on a long capture.
 */
export const COMPRESSION_SPREAD = 0.05;

/**
 * What `processed_bytes` will be at the end. A restore processes its dump: `source_bytes`. A capture writes a
 * compressed dump of a database of `source_bytes`: its size is the database's times the compression its last
 * successful backup of the same database had (`earlier`, the app's transfers); none: unknown.
 */
export function expectTransfer(transfer: Transfer, earlier: readonly Transfer[] | undefined): TransferExpectation {
  const source = transfer.source_bytes ?? 0;
  if (source <= 0) return { totalBytes: null, spread: 0 };
  if (summarize(transfer).kind === 'restore') return { totalBytes: source, spread: 0 };
  const like = (earlier ?? [])
    .filter(
      (t) =>
        t.uuid !== transfer.uuid &&
        t.succeeded &&
        t.from_type === transfer.from_type &&
        t.to_type === transfer.to_type &&
        t.from_name === transfer.from_name &&
        (t.source_bytes ?? 0) > 0 &&
        (t.processed_bytes ?? 0) > 0,
    )
    .sort((a, b) => b.num - a.num)[0];
  if (!like) return { totalBytes: null, spread: 0 };
  return { totalBytes: Math.round((source * like.processed_bytes!) / like.source_bytes!), spread: COMPRESSION_SPREAD };
}

/** Whether the planner could use the app's earlier transfers for this one (a capture; a restore needs none). */
export function needsHistory(transfer: Transfer): boolean {
  return (transfer.source_bytes ?? 0) > 0 && summarize(transfer).kind !== 'restore';
}

/**
 * When a watch window makes its next read: when planned, if that is within the window or a little past its end
 * (`stretchedEnd`: one read then rather than one more at the end); else at the window's end, to report progress.
 * Either way past the window's end, that read is its last.
 */
export function windowedRead(
  plannedAt: number,
  windowEnd: number,
  stretchedEnd: number,
): { at: number; lastOfWindow: boolean } {
  return { at: plannedAt > stretchedEnd ? windowEnd : plannedAt, lastOfWindow: plannedAt >= windowEnd };
}
