import type { OneOffDynoRecord } from '../state-dynos';
import { parseCommand } from './dyno-outcomes';

/**
 * A one-off dyno's life, planned from its record: when the process starts, what it prints when, and how and when it
 * ends. Everything at or before "now" is fixed, because interruptions (stop, hang-up) are recorded at the moment
 * they happen; later parts may still change. The API state, the log lines and the rendezvous output all read this
 * one plan, so they always agree. Times are wall-clock milliseconds.
 */

export type EndReason = 'exit' | 'stop' | 'ttl' | 'hangup' | 'attach-timeout';

export interface Termination {
  at: number;
  status: number;
  reason: EndReason;
}

export interface OutputLine {
  at: number;
  text: string;
}

export interface Timeline {
  /** When the process started; undefined while an attached dyno awaits its client, or if it never started. */
  start?: number;
  end: Termination;
  /** What the process prints (the exit-status marker included), up to its end. */
  output: OutputLine[];
}

/** Exit statuses of a process killed by a signal (128 + signal number), and of Heroku's R13 attach error. */
const SIGTERM_STATUS = 143;
const SIGHUP_STATUS = 129;
const ATTACH_ERROR_STATUS = 128;

export const exitStatusMarker = (status: number): string => `\uFFFF heroku-command-exit-status: ${status}`;

/**
 * The process exit status Heroku reports. With the CLI's `<cmd> ; echo "…exit-status: $?"` suffix the shell's last
 * command is `echo`, so the process itself exits 0 and only the marker carries the command's status.
 */
export function processExitStatus(record: OneOffDynoRecord): number {
  return parseCommand(record.command).echoesExitStatus ? 0 : record.outcome.exit_status;
}

function ends(record: OneOffDynoRecord): Termination[] {
  const candidates: Termination[] = [];
  if (record.process) {
    candidates.push({ at: Date.parse(record.process.exits_at), status: processExitStatus(record), reason: 'exit' });
  } else if (record.attach_deadline) {
    candidates.push({ at: Date.parse(record.attach_deadline), status: ATTACH_ERROR_STATUS, reason: 'attach-timeout' });
  }
  if (record.expires_at) candidates.push({ at: Date.parse(record.expires_at), status: SIGTERM_STATUS, reason: 'ttl' });
  if (record.interrupt) {
    const { at, reason } = record.interrupt;
    candidates.push({ at: Date.parse(at), status: reason === 'stop' ? SIGTERM_STATUS : SIGHUP_STATUS, reason });
  }
  return candidates;
}

export function timeline(record: OneOffDynoRecord): Timeline {
  // The earliest ending wins; on a tie the natural exit (listed first) does.
  const end = ends(record).reduce((earliest, candidate) => (candidate.at < earliest.at ? candidate : earliest));
  if (!record.process) return { end, output: [] };

  const start = Date.parse(record.process.started_at);
  const exitsAt = Date.parse(record.process.exits_at);
  const { output: lines, exit_status } = record.outcome;
  // Output is spread evenly over the run, the last line before the exit.
  const output = lines
    .map((text, i) => ({ at: start + ((exitsAt - start) * (i + 1)) / (lines.length + 1), text }))
    .filter((line) => line.at <= end.at);
  if (end.reason === 'exit' && parseCommand(record.command).echoesExitStatus) {
    output.push({ at: end.at, text: exitStatusMarker(exit_status) });
  }
  return { start: start <= end.at ? start : undefined, end, output };
}

export type DynoPhase = 'starting' | 'up' | 'complete';

export function phaseAt(plan: Timeline, now: number): DynoPhase {
  if (now >= plan.end.at) return 'complete';
  return plan.start !== undefined && now >= plan.start ? 'up' : 'starting';
}
