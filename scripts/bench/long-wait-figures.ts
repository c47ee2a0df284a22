/**
 * What a long wait cost and how soon its end was noticed (issue 14, item 3): the Heroku requests the engine's watch
 * activities made for one wait, and the lag between the real end (the simulator's) and the first response that
 * showed it; the same for the official CLI, which polls a transfer every 3 s (reference §4.5), from the fixed-poller
 * model or from the call log of a real CLI run. Pure functions over the simulator's call log
 * (`GET /__simulator/calls`): the bench harness collects, these count.
 *
 * Targets: at most a quarter of the CLI's requests, and a lag of at most 1 s + 5 % of the wait.
 */

/** One entry of the simulator's call log, as far as these figures read it. */
export interface CallLogEntry {
  method: string;
  path: string;
  /** When it arrived, in whole seconds (Heroku's rendering). */
  time: string;
  /** The same to the millisecond; preferred when present (the simulator records it). */
  receivedAt?: string;
  status: number | null;
  /** `<workflow ID> <run ID> <activity ID> <activity type>`, each percent-encoded; null for other clients (the CLI). */
  sender: string | null;
  body?: unknown;
}

/** An ISO 8601 time or epoch milliseconds. */
export type Instant = string | number;

export type WaitTarget = { kind: 'transfer'; app: string; uuid: string } | { kind: 'dyno'; app: string; name: string };

/** One long wait, as the simulator saw it. */
export interface LongWait {
  target: WaitTarget;
  /** When the wait began: the transfer's or the dyno's creation. */
  startedAt: Instant;
  /** When it really ended: the transfer's planned finish (its `simulation`), the dyno's exit (`dyno-exit` effect). */
  finishedAt: Instant;
  /** Only this run's requests (by the `Runbook-Activity` header), when several runs share the call log. */
  workflowId?: string;
}

export interface WaitFigures {
  /** finishedAt − startedAt. */
  waitMs: number;
  /** Requests made for the wait. */
  requests: number;
  /** When the end was first seen (epoch ms); null when no request showed it. */
  detectedAt: number | null;
  /** detectedAt − finishedAt; null when no request showed the end. */
  lagMs: number | null;
}

export interface BaselineFigures extends WaitFigures {
  /** `fixed-poller`: the CLI's schedule, computed; `call-log`: counted in a real CLI run's call log. */
  source: 'fixed-poller' | 'call-log';
  /** The lag to expect: half the interval for the fixed poller (the end falls anywhere between two polls). */
  meanLagMs: number | null;
}

export interface LongWaitComparison {
  engine: WaitFigures;
  baseline: BaselineFigures;
  /** engine.requests ÷ baseline.requests. */
  requestRatio: number;
  meetsRequestTarget: boolean;
  /** 1 s + 5 % of the wait. */
  lagTargetMs: number;
  meetsLagTarget: boolean;
}

/** The CLI's interval while it waits for a transfer (`max(3, --wait-interval)` seconds). */
export const CLI_POLL_INTERVAL_MS = 3_000;
/** The engine may make at most this share of the CLI's requests. */
export const REQUEST_TARGET_RATIO = 0.25;
/** The activities that watch long waits: the requests counted as the engine's. */
export const WATCH_ACTIVITY_TYPES: readonly string[] = ['watchTransfer', 'watchOneOffDyno'];

export function lagTargetMs(waitMs: number): number {
  return 1_000 + 0.05 * waitMs;
}

export function instantMs(instant: Instant): number {
  const ms = typeof instant === 'number' ? instant : Date.parse(instant);
  if (!Number.isFinite(ms)) throw new RangeError(`not a time: ${String(instant)}`);
  return ms;
}

/** When the simulator received the call: to the millisecond where it says so. */
export function callMs(call: CallLogEntry): number {
  return instantMs(call.receivedAt ?? call.time);
}

interface Sender {
  workflowId: string;
  activityType: string;
}

/** The run and activity type a `Runbook-Activity` header names; null for other clients (the CLI). */
export function parseSender(header: string | null): Sender | null {
  const parts = header?.split(' ').map(decodeURIComponent);
  if (!parts || parts.length !== 4) return null;
  return { workflowId: parts[0], activityType: parts[3] };
}

const segment = (value: string) => encodeURIComponent(value);

/** Whether the call is about the wait's transfer or dyno (reads of the app's transfers or dynos included). */
export function concernsTarget(call: CallLogEntry, target: WaitTarget): boolean {
  const parts = call.path.split('/').map(decodeURIComponent);
  if (target.kind === 'transfer') {
    // /client/v11/apps/{app name or id}/transfers[/{uuid}]: the CLI polls a restore by the app's id.
    if (parts[1] !== 'client' || parts[3] !== 'apps' || parts[5] !== 'transfers') return false;
    if (parts.length === 7) return parts[6].toLowerCase() === target.uuid.toLowerCase();
    return parts.length === 6 && parts[4] === target.app;
  }
  if (call.path === `/apps/${segment(target.app)}/dynos/${segment(target.name)}`) return true;
  if (call.path === `/apps/${segment(target.app)}/dynos`) return call.method === 'GET';
  if (call.path === `/apps/${segment(target.app)}/log-sessions`) {
    const body = call.body as { dyno?: unknown; dyno_name?: unknown } | null | undefined;
    return !body || (body.dyno ?? body.dyno_name ?? target.name) === target.name;
  }
  return false;
}

/**
 * Whether the call's answer showed that the wait had ended, given that it arrived after the end: a transfer read
 * (answered 200: settled before it was served, it says `finished_at`), or for a dyno, a read that found it gone
 * (404), a list without it, or a log session whose backlog holds the exit line.
 */
function showsEnd(call: CallLogEntry, target: WaitTarget): boolean {
  if (target.kind === 'transfer')
    return call.method === 'GET' && call.status === 200 && call.path.split('/').length === 7;
  if (call.path.endsWith('/log-sessions')) return call.method === 'POST' && call.status === 201;
  if (call.path.endsWith('/dynos')) return call.method === 'GET' && call.status === 200;
  return call.method === 'GET' && call.status === 404;
}

function figures(calls: readonly CallLogEntry[], wait: LongWait, sawEndAt: number | undefined): WaitFigures {
  const startedAt = instantMs(wait.startedAt);
  const finishedAt = instantMs(wait.finishedAt);
  const made = calls.filter((call) => callMs(call) >= startedAt);
  const seen = made.find((call) => callMs(call) >= finishedAt && showsEnd(call, wait.target));
  const candidates = [seen && callMs(seen), sawEndAt].filter((at): at is number => at !== undefined);
  const detectedAt = candidates.length > 0 ? Math.min(...candidates) : null;
  return {
    waitMs: finishedAt - startedAt,
    requests: made.length,
    detectedAt,
    lagMs: detectedAt === null ? null : detectedAt - finishedAt,
  };
}

/**
 * The engine's figures: every request its watch activities made for the wait (from its start on; they stop once
 * they have seen the end), and the first that showed the end. A watch that follows a dyno's log stream learns of
 * the exit from the stream, which is not in the call log: pass when it did (`sawEndAt`, e.g. the watch activity's
 * completion in the run's history) and the earlier of the two counts.
 */
export function engineFigures(calls: readonly CallLogEntry[], wait: LongWait, sawEndAt?: Instant): WaitFigures {
  const watches = calls.filter((call) => {
    const sender = parseSender(call.sender);
    if (!sender || !WATCH_ACTIVITY_TYPES.includes(sender.activityType)) return false;
    if (wait.workflowId !== undefined && sender.workflowId !== wait.workflowId) return false;
    return concernsTarget(call, wait.target);
  });
  return figures(watches, wait, sawEndAt === undefined ? undefined : instantMs(sawEndAt));
}

/**
 * A client that polls every `intervalMs` from the wait's start (the CLI: 3 s): ⌈W / interval⌉ + 1 requests, the
 * last one the first at or after the end. Its lag depends on where the end falls between two polls: `lagMs` for
 * polls aligned with the start, `meanLagMs` (half an interval) over all alignments.
 */
export function fixedPollerFigures(waitMs: number, intervalMs = CLI_POLL_INTERVAL_MS): BaselineFigures {
  const polls = Math.ceil(waitMs / intervalMs);
  return {
    source: 'fixed-poller',
    waitMs,
    requests: polls + 1,
    detectedAt: null,
    lagMs: polls * intervalMs - waitMs,
    meanLagMs: intervalMs / 2,
  };
}

/** A real CLI run's figures: its requests (no `Runbook-Activity` header) for the wait, from its call log. */
export function cliFigures(calls: readonly CallLogEntry[], wait: LongWait): BaselineFigures {
  const cli = calls.filter((call) => call.sender === null && concernsTarget(call, wait.target));
  const counted = figures(cli, wait, undefined);
  return { source: 'call-log', ...counted, meanLagMs: counted.lagMs };
}

/**
 * The engine against the CLI for one wait: the baseline is the fixed 3 s poller over the same wait, or a real CLI
 * run (its own call log and wait) when given.
 */
export function compareLongWait(input: {
  calls: readonly CallLogEntry[];
  wait: LongWait;
  sawEndAt?: Instant;
  cli?: { calls: readonly CallLogEntry[]; wait: LongWait };
}): LongWaitComparison {
  const engine = engineFigures(input.calls, input.wait, input.sawEndAt);
  const baseline = input.cli ? cliFigures(input.cli.calls, input.cli.wait) : fixedPollerFigures(engine.waitMs);
  const requestRatio = baseline.requests > 0 ? engine.requests / baseline.requests : Infinity;
  const target = lagTargetMs(engine.waitMs);
  return {
    engine,
    baseline,
    requestRatio,
    meetsRequestTarget: requestRatio <= REQUEST_TARGET_RATIO,
    lagTargetMs: target,
    meetsLagTarget: engine.lagMs !== null && engine.lagMs <= target,
  };
}
