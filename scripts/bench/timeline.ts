// What a benchmark reads back after a run: the long operations Heroku (the simulator) performed and when each really
// ended, the requests each side sent while waiting, and — from the run's Temporal history — when the engine noticed
// each end. All from records (the simulator's call log, effects and state; the workflow history), never from what a
// run says about itself.
import type { Client } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import type { CallRecord, Effect, SimulatorState } from '../../simulator';
import { cliFigures, engineFigures, parseSender, type LongWait } from './long-wait-figures';

const EventType = temporal.api.enums.v1.EventType;

export interface SimulatorRecords {
  calls: CallRecord[];
  effects: Effect[];
  state: SimulatorState;
}

export async function readSimulatorRecords(simulatorUrl: string): Promise<SimulatorRecords> {
  const get = async <T>(what: string): Promise<T> => {
    const response = await fetch(`${simulatorUrl}/__simulator/${what}`);
    if (!response.ok) throw new Error(`simulator ${what}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  const [calls, effects, state] = await Promise.all([
    get<CallRecord[]>('calls'),
    get<Effect[]>('effects'),
    get<SimulatorState>('state'),
  ]);
  return { calls, effects, state };
}

/** One thing Heroku took time to do: a transfer (backup, restore) or a one-off dyno's process. */
export interface Operation {
  kind: 'backup' | 'restore' | 'dyno';
  /** b017, r018, run.4821 */
  name: string;
  /** The transfer's uuid or the dyno's name: what the waits' requests name. */
  key: string;
  /** When the request that asked for it arrived. */
  startMs: number;
  /** When Heroku finished it (the simulator's plan: the real end, not when anyone saw it). */
  endMs: number;
}

const at = (call: CallRecord) => Date.parse(call.receivedAt);

/** Whether the run `workflowId` sent the call (its `Runbook-Activity` header names it). */
export const sentBy = (call: Pick<CallRecord, 'sender'>, workflowId: string) =>
  parseSender(call.sender)?.workflowId === workflowId;

/**
 * The transfers and one-off dynos asked for by the calls `chosen` picks, in order. A transfer's end is its planned
 * completion; a dyno's is its `dyno-exit`.
 */
export function operationsOf(
  records: SimulatorRecords,
  app: string,
  chosen: (call: CallRecord) => boolean,
): Operation[] {
  const appRecord = records.state.apps.find((candidate) => candidate.name === app);
  if (!appRecord) throw new Error(`no app ${app} in the simulator`);
  const asked = records.calls.filter((call) => chosen(call) && call.status !== null && call.status < 300);
  const operations: Operation[] = [];
  const transfers = [...appRecord.transfers].sort((a, b) => a.num - b.num);
  for (const kind of ['backup', 'restore'] as const) {
    const posts = asked.filter((call) => call.method === 'POST' && call.path.endsWith(`/${kind}s`));
    const named = records.effects.filter((effect) => effect.kind === kind && effect.app === app);
    for (const post of posts) {
      // The effect the POST made carries the Request-Id Heroku answered it with.
      const effect = named.find((candidate) => candidate.requestId === post.requestId);
      const transfer = transfers.find((candidate) => candidate.uuid === effect?.uuid);
      if (!transfer?.simulation) continue;
      operations.push({
        kind,
        name: String(effect!.name),
        key: transfer.uuid,
        startMs: at(post),
        endMs: Date.parse(transfer.simulation.fails_at ?? transfer.simulation.completes_at),
      });
    }
  }
  for (const post of asked.filter((call) => call.method === 'POST' && call.path === `/apps/${app}/dynos`)) {
    const created = records.effects.find(
      (effect) => effect.kind === 'dyno-create' && effect.requestId === post.requestId,
    );
    const exit = records.effects.find((effect) => effect.kind === 'dyno-exit' && effect.id === created?.id);
    if (!created || !exit) continue;
    operations.push({
      kind: 'dyno',
      name: String(created.name),
      key: String(created.name),
      startMs: at(post),
      endMs: Date.parse(String(exit.at)),
    });
  }
  return operations.sort((a, b) => a.startMs - b.startMs);
}

export const totalMs = (operations: Operation[]) =>
  operations.reduce((sum, operation) => sum + (operation.endMs - operation.startMs), 0);

/** A runbook's activity as its history shows it. */
export interface ActivityRun {
  activityId: string;
  type: string;
  input: unknown;
  scheduledMs: number;
  /** The completion (or final failure) of its last attempt. */
  endedMs: number | null;
  scheduledEventId: number;
  endedEventId: number | null;
}

/** The history's events, in order: their type (Temporal's enum) and time. */
export interface HistoryEvent {
  id: number;
  type: number;
  ms: number;
}

export interface RunHistory {
  workflowId: string;
  events: HistoryEvent[];
  activities: ActivityRun[];
  /** When an approval Update was accepted (the run went on from there). */
  approvalsAcceptedMs: number[];
}

export async function readRunHistory(client: Client, workflowId: string): Promise<RunHistory> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const activities = new Map<string, ActivityRun>();
  const byScheduledId = new Map<string, ActivityRun>();
  const approvalsAcceptedMs: number[] = [];
  const events: HistoryEvent[] = [];
  for (const event of history.events ?? []) {
    const time = tsToMs(event.eventTime);
    events.push({ id: Number(event.eventId), type: event.eventType ?? 0, ms: time });
    switch (event.eventType) {
      case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: {
        const attributes = event.activityTaskScheduledEventAttributes!;
        const payload = attributes.input?.payloads?.[0]?.data;
        const run: ActivityRun = {
          activityId: attributes.activityId!,
          type: attributes.activityType!.name!,
          input: payload ? JSON.parse(Buffer.from(payload).toString('utf8')) : undefined,
          scheduledMs: time,
          endedMs: null,
          scheduledEventId: Number(event.eventId),
          endedEventId: null,
        };
        activities.set(run.activityId, run);
        byScheduledId.set(String(event.eventId), run);
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
      case EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED:
      case EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: {
        const attributes =
          event.activityTaskCompletedEventAttributes ??
          event.activityTaskFailedEventAttributes ??
          event.activityTaskTimedOutEventAttributes;
        const run = byScheduledId.get(String(attributes?.scheduledEventId));
        if (run) {
          run.endedMs = time;
          run.endedEventId = Number(event.eventId);
        }
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: {
        const name = event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name;
        if (name === 'approve') approvalsAcceptedMs.push(time);
        break;
      }
    }
  }
  return { workflowId, events, activities: [...activities.values()], approvalsAcceptedMs };
}

/** How a wait went (long-wait-figures.ts counts): the requests sent for it, and how long after its end the waiter knew. */
export interface WaitFigures {
  operation: Operation;
  waitMs: number;
  requests: number;
  /** null when the waiter never saw the end (it should have). */
  lagMs: number | null;
}

const WATCH_ACTIVITIES = ['watchTransfer', 'watchOneOffDyno'];

function longWait(app: string, operation: Operation, workflowId?: string): LongWait {
  return {
    target:
      operation.kind === 'dyno'
        ? { kind: 'dyno', app, name: operation.key }
        : { kind: 'transfer', app, uuid: operation.key },
    startedAt: operation.startMs,
    finishedAt: operation.endMs,
    ...(workflowId && { workflowId }),
  };
}

/**
 * The engine's waits: the requests its watch activities sent for each operation, and the moment it knew — the
 * first answer that showed the end, or the completion of the last watch that followed it (a dyno's exit arrives on
 * its log stream, which the call log does not show).
 */
export function engineWaits(
  app: string,
  operations: Operation[],
  history: RunHistory,
  calls: CallRecord[],
): WaitFigures[] {
  return operations.map((operation) => {
    const watches = history.activities.filter((activity) => {
      if (!WATCH_ACTIVITIES.includes(activity.type)) return false;
      const input = activity.input as { uuid?: string; name?: string } | undefined;
      return input?.uuid === operation.key || input?.name === operation.key;
    });
    const noticed = Math.max(...watches.map((watch) => watch.endedMs ?? -Infinity));
    const figures = engineFigures(
      calls,
      longWait(app, operation, history.workflowId),
      Number.isFinite(noticed) ? noticed : undefined,
    );
    return { operation, waitMs: figures.waitMs, requests: figures.requests, lagMs: figures.lagMs };
  });
}

/** The official CLI's wait for an operation: its requests for it, and its first answer that showed the end. */
export function cliWait(app: string, operation: Operation, calls: CallRecord[]): WaitFigures {
  const figures = cliFigures(calls, longWait(app, operation));
  return { operation, waitMs: figures.waitMs, requests: figures.requests, lagMs: figures.lagMs };
}

/**
 * How long each step that makes one change (an `activityType` activity) took, by the server's clock: from the start
 * of the workflow task that scheduled the change's activity (the step's intent record is written in it) to the
 * completion of the workflow task after the activity (which writes its outcome record).
 */
export function stepWindowsMs(history: RunHistory, activityType: string): number[] {
  return history.activities
    .filter((candidate) => candidate.type === activityType)
    .map((activity) => stepWindowMs(history, activity))
    .filter((window): window is number => window !== null);
}

function stepWindowMs(history: RunHistory, activity: ActivityRun): number | null {
  if (!activity.endedEventId) return null;
  const started = [...history.events]
    .reverse()
    .find((event) => event.id < activity.scheduledEventId && event.type === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED);
  const completed = history.events.find(
    (event) => event.id > activity.endedEventId! && event.type === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
  );
  return started && completed ? completed.ms - started.ms : null;
}
