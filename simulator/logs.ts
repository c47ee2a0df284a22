import { type EndReason, timeline } from './domain/one-off-timeline';
import type { AppRecord, Effect, SimulatorState } from './state';
import type { OneOffDynoRecord } from './state-dynos';

/**
 * An app's log as logplex would hold it, derived from the state rather than stored: the platform's lines about
 * one-off dynos (`heroku[run.1234]: …`), a detached one-off's output (`app[run.1234]: …`; an attached one's output
 * goes to its client only), and `app[api]` lines for the API actions in the effects log. Lines carry their planned
 * time, so callers show only those at or before "now"; `key` identifies a line across calls, for tailing.
 */

export interface LogLine {
  at: number;
  source: 'app' | 'heroku';
  dyno: string;
  message: string;
  key: string;
}

export interface LogFilter {
  /** A dyno name (`run.1234`) or a process type (`web`, `run`). */
  dyno?: string;
  source?: string;
}

/** Heroku's log timestamps: microseconds and a numeric UTC offset, e.g. `2024-01-01T00:00:00.123000+00:00`. */
export function formatLogLine(line: LogLine): string {
  const timestamp = new Date(line.at).toISOString().replace(/Z$/, '000+00:00');
  return `${timestamp} ${line.source}[${line.dyno}]: ${line.message}`;
}

export function matchesFilter(line: LogLine, filter: LogFilter): boolean {
  if (filter.source !== undefined && line.source !== filter.source) return false;
  return filter.dyno === undefined || line.dyno === filter.dyno || line.dyno.startsWith(`${filter.dyno}.`);
}

/** What the platform logs just before "Process exited" when it ends a process. */
const END_NOTICES: Partial<Record<EndReason, string>> = {
  stop: 'Stopping all processes with SIGTERM',
  ttl: 'Stopping all processes with SIGTERM',
  hangup: 'Client connection closed. Sending SIGHUP to all processes',
  'attach-timeout': 'Error R13 (Attach error) -> Failed to attach to process',
};

function oneOffLines(record: OneOffDynoRecord): LogLine[] {
  const plan = timeline(record);
  const lines: LogLine[] = [];
  const add = (source: LogLine['source'], key: string, at: number, message: string) =>
    lines.push({ at, source, dyno: record.name, message, key: `${record.id}:${key}` });

  const bootAt = Date.parse(record.boot_at);
  if (record.attach && bootAt <= plan.end.at) add('heroku', 'awaiting', bootAt, 'Awaiting client');
  if (plan.start !== undefined) {
    add('heroku', 'start', plan.start, `Starting process with command \`${record.command}\``);
    add('heroku', 'up', plan.start, 'State changed from starting to up');
  }
  if (!record.attach) plan.output.forEach((line, i) => add('app', `out:${i}`, line.at, line.text));
  const notice = END_NOTICES[plan.end.reason];
  if (notice) add('heroku', 'notice', plan.end.at, notice);
  add('heroku', 'exit', plan.end.at, `Process exited with status ${plan.end.status}`);
  const from = plan.start !== undefined ? 'up' : 'starting';
  add('heroku', 'complete', plan.end.at, `State changed from ${from} to complete`);
  return lines;
}

/** The `app[api]` lines Heroku writes for API actions (texts as seen in real logs). */
function apiMessages(effect: Effect, email: string): string[] {
  const by = `by user ${email}`;
  switch (effect.kind) {
    case 'release':
      return [`${String(effect.description)} ${by}`, `Release v${String(effect.version)} created ${by}`];
    case 'formation': {
      const after = effect.after as { quantity: number; size: string };
      return [`Scaled to ${String(effect.type)}@${after.quantity}:${after.size} ${by}`];
    }
    case 'dyno-create':
      return [`Starting process with command \`${String(effect.command)}\` ${by}`];
    default:
      return [];
  }
}

function apiLines(state: SimulatorState, app: AppRecord): LogLine[] {
  return state.effects
    .filter((effect) => effect.app === app.name)
    .flatMap((effect) =>
      apiMessages(effect, effect.actor ?? state.account.email).map((message, i) => ({
        at: Date.parse(effect.time),
        source: 'app' as const,
        dyno: 'api',
        message,
        key: `api:${effect.seq}:${i}`,
      })),
    );
}

/** Every line of the app's log, past and planned, oldest first (a dyno's own lines keep their order). */
export function appLogLines(state: SimulatorState, app: AppRecord): LogLine[] {
  return [...apiLines(state, app), ...app.dynos.one_offs.flatMap(oneOffLines)].sort((a, b) => a.at - b.at);
}
