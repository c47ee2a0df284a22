import { END_EVENTS, type AuditEntry } from '../common/audit';

// A run as the audit trail alone tells it — who asked, who approved, how it ended and how long it took — for
// `runbook history` and `runbook show`: no Temporal needed, so it still reads after the run's retention.

export interface RecordedPerson {
  /** A verified email, or "unverified (claims: …)", as recorded. */
  name: string;
  verified: boolean;
}

export interface RunSummary {
  kind: 'run';
  workflowId: string;
  runId: string;
  runbook: string;
  app: string | null;
  environment: string | null;
  requester: RecordedPerson;
  /** Who approved it (every verified approver of an approved plan), in the order they approved. */
  approvers: RecordedPerson[];
  /** From the run's end record; `running` while it has none. */
  outcome: 'succeeded' | 'failed' | 'ended' | 'running';
  /** One short line: why it failed or ended (null when it succeeded or runs). */
  why: string | null;
  /** The end record's whole summary (null while it runs). */
  endSummary: string | null;
  startedAt: string;
  endedAt: string | null;
  durationSeconds: number | null;
}

/** An `outside-change` record (workflow ID `outside-changes:<app>`): a change the engine did not make. */
export interface OutsideChange {
  kind: 'outside-change';
  at: string;
  workflowId: string;
  runId: string;
  app: string | null;
  environment: string | null;
  by: string;
  summary: string;
  details: Record<string, unknown>;
}

export const runKey = (entry: { workflowId: string; runId: string }): string => `${entry.workflowId}\n${entry.runId}`;

/** Entries grouped by run (workflow ID and run ID), each run's in record order. */
export function groupByRun(entries: readonly AuditEntry[]): Map<string, AuditEntry[]> {
  const runs = new Map<string, AuditEntry[]>();
  for (const entry of entries) {
    const key = runKey(entry);
    runs.set(key, [...(runs.get(key) ?? []), entry]);
  }
  for (const run of runs.values()) run.sort((a, b) => a.seq - b.seq);
  return runs;
}

const isVerified = (name: string) => !/^unverified\b/.test(name) && name !== 'unknown';

/** The requester as the 'started' record says (its details.requester is the Person the run verified, or not). */
function requesterOf(started: AuditEntry): RecordedPerson {
  const person = started.details.requester as { verified?: unknown } | undefined;
  const verified = typeof person?.verified === 'boolean' ? person.verified : isVerified(started.operator);
  return { name: started.operator, verified };
}

/**
 * Who approved: the approvals of an approved plan (a decision "approved" names its approvers, joined with " and ";
 * with several needed, each earlier approval has its own record). Approvals are accepted from verified people only
 * (workflows/approval.ts), so an approver is verified unless the record says otherwise.
 */
function approversOf(entries: readonly AuditEntry[]): RecordedPerson[] {
  const names: string[] = [];
  for (const entry of entries) {
    if (entry.event !== 'approval') continue;
    const decision = entry.details.decision as { decision?: unknown; by?: unknown } | undefined;
    const partial = entry.details.approval as { by?: unknown } | undefined;
    if (decision?.decision === 'approved' && typeof decision.by === 'string') names.push(...decision.by.split(' and '));
    else if (typeof partial?.by === 'string') names.push(partial.by);
  }
  const seen = new Set<string>();
  return names
    .map((name) => name.trim())
    .filter((name) => name && !seen.has(name.toLowerCase()) && seen.add(name.toLowerCase()))
    .map((name) => ({ name, verified: isVerified(name) }));
}

/** The first sentence of a summary, at most `max` characters: the "short why" of a history line. */
export function shortWhy(text: string, max = 100): string {
  const firstLine = text.split('\n')[0];
  const sentence = /^(.*?[.!?])(\s|$)/.exec(firstLine)?.[1] ?? firstLine;
  return sentence.length <= max ? sentence : `${sentence.slice(0, max - 1)}…`;
}

function endTime(end: AuditEntry): string {
  // The end reconciler writes later than the run ended: Temporal's close time is when it did.
  const closedAt = end.details.closedAt;
  return end.event === 'ended' && typeof closedAt === 'string' ? closedAt : end.at;
}

/** Summarises one run from its records (any order); null if the trail holds no start for it. */
export function summarizeRun(entries: readonly AuditEntry[]): RunSummary | null {
  const sorted = [...entries].sort((a, b) => a.seq - b.seq);
  const started = sorted.find((entry) => entry.event === 'started');
  if (!started) return null;
  const end = [...sorted].reverse().find((entry) => END_EVENTS.includes(entry.event)) ?? null;
  const where = [...sorted].reverse().find((entry) => entry.app !== null);
  const input = (started.details.input ?? {}) as { app?: unknown; environment?: unknown };
  const endedAt = end ? endTime(end) : null;
  return {
    kind: 'run',
    workflowId: started.workflowId,
    runId: started.runId,
    runbook: started.runbook,
    app: where?.app ?? (typeof input.app === 'string' ? input.app : null),
    environment: where?.environment ?? (typeof input.environment === 'string' ? input.environment : null),
    requester: requesterOf(started),
    approvers: approversOf(sorted),
    outcome: end ? (end.event as RunSummary['outcome']) : 'running',
    why: !end || end.event === 'succeeded' ? null : shortWhy(end.summary),
    endSummary: end?.summary ?? null,
    startedAt: started.at,
    endedAt,
    durationSeconds: endedAt ? Math.max(0, Math.round((Date.parse(endedAt) - Date.parse(started.at)) / 1000)) : null,
  };
}

export function outsideChangeOf(entry: AuditEntry): OutsideChange {
  return {
    kind: 'outside-change',
    at: entry.at,
    workflowId: entry.workflowId,
    runId: entry.runId,
    app: entry.app,
    environment: entry.environment,
    by: entry.operator,
    summary: entry.summary,
    details: entry.details,
  };
}

/** "42 s", "3 min 5 s", "2 h 10 min": a run's duration on one line. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null) return '-';
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min${seconds % 60 ? ` ${seconds % 60} s` : ''}`;
  return `${Math.floor(minutes / 60)} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
}

/** "2026-11-01 03:00:12Z": a trail time on a terminal. */
export function formatTime(at: string): string {
  return at.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function describeRecordedPerson(person: RecordedPerson): string {
  if (person.verified) return `${person.name} (verified)`;
  return person.name.startsWith('unverified') ? person.name : `${person.name} (unverified)`;
}
