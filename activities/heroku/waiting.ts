import { Context } from '@temporalio/activity';

/**
 * How a Heroku request waits (for its token in the API budget, or after a 429) where it is made. In an activity:
 * within what is left of the attempt, cancellably (Temporal's `sleep`), heartbeating when the activity has a
 * heartbeat timeout. Elsewhere (the worker's start-up checks, tests): on a plain timer, with no limit.
 */
export interface Waiting {
  /** The longest a wait may last now: the attempt's deadline less room for the request itself. */
  maxWaitMs(): number;
  wait(ms: number): Promise<void>;
  /** In an activity: its own timeouts bound every wait. */
  readonly inActivity: boolean;
}

/** Room kept at the end of an attempt for the request after a wait: 5 s, or a quarter of a short attempt. */
const REQUEST_ROOM_MS = 5_000;

const onTimer: Waiting = {
  maxWaitMs: () => Infinity,
  wait: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  inActivity: false,
};

/** The waiting of the calling code: its activity's, if it runs in one. */
export function waitingHere(): Waiting {
  let context: Context;
  try {
    context = Context.current();
  } catch {
    return onTimer;
  }
  return inActivity(context);
}

function inActivity(context: Context): Waiting {
  const info = context.info;
  const heartbeatTimeoutMs = info.heartbeatTimeoutMs || 0;
  return {
    inActivity: true,
    maxWaitMs() {
      const deadlines: number[] = [];
      if (info.startToCloseTimeoutMs > 0)
        deadlines.push(info.currentAttemptScheduledTimestampMs + info.startToCloseTimeoutMs);
      if (info.scheduleToCloseTimeoutMs > 0) deadlines.push(info.scheduledTimestampMs + info.scheduleToCloseTimeoutMs);
      const room = Math.min(REQUEST_ROOM_MS, (info.startToCloseTimeoutMs || Infinity) / 4);
      let max = Math.min(...deadlines) - room - Date.now();
      // Without its last heartbeat's details, a wait cannot heartbeat (it would erase them): it stays well inside
      // the heartbeat timeout instead.
      if (heartbeatTimeoutMs && !lastHeartbeat.has(context)) max = Math.min(max, heartbeatTimeoutMs / 2);
      return Math.max(0, max);
    },
    async wait(ms) {
      const end = Date.now() + ms;
      for (let left = ms; left > 0; left = end - Date.now()) {
        keepAlive(context);
        // Temporal's sleep: a cancelled activity (or a worker shutting down) stops waiting at once.
        await context.sleep(heartbeatTimeoutMs ? Math.min(left, heartbeatTimeoutMs / 3) : left);
      }
    },
  };
}

/** The details of each running activity's latest heartbeat (those of the previous attempt until it sends one). */
const lastHeartbeat = new WeakMap<Context, { details: unknown }>();

/**
 * Wraps activities so that a wait inside one can heartbeat: a heartbeat replaces the details of the previous one,
 * which activities use to resume (the backup or dyno an earlier attempt started, the account a proof read), so a
 * wait must send again exactly what the activity last sent. The SDK does not say what that was; this remembers it.
 * Called outside an activity (tests call activities directly), it just calls through.
 */
export function rememberingHeartbeats<T extends Record<string, unknown>>(activities: T): T {
  return Object.fromEntries(
    Object.entries(activities).map(([name, activity]) => [
      name,
      typeof activity === 'function' ? remembering(activity as (...args: unknown[]) => unknown) : activity,
    ]),
  ) as T;
}

function remembering(activity: (...args: unknown[]) => unknown): (...args: unknown[]) => unknown {
  return (...args: unknown[]) => {
    let context: Context;
    try {
      context = Context.current();
    } catch {
      return activity(...args);
    }
    lastHeartbeat.set(context, { details: context.info.heartbeatDetails });
    const send = context.heartbeat;
    // `heartbeat` is a plain property of the context; `heartbeat()` from '@temporalio/activity' calls it.
    Object.defineProperty(context, 'heartbeat', {
      value: (details?: unknown) => {
        lastHeartbeat.set(context, { details });
        send(details);
      },
      writable: true,
      configurable: true,
    });
    return activity(...args);
  };
}

/** Heartbeats again what the activity last sent, if it has a heartbeat timeout (none: it must not heartbeat). */
function keepAlive(context: Context): void {
  const last = lastHeartbeat.get(context);
  if (context.info.heartbeatTimeoutMs && last) context.heartbeat(last.details);
}
