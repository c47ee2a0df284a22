import type { AuditEntry } from '../common/audit';
import type { AuditLog } from '../lib/audit/audit-log';
import { outsideChangeOf, summarizeRun, type OutsideChange, type RunSummary } from './run-summary';

/**
 * How many records one read of the store may return: "all of them", until the store has a reader that pages. A
 * read that returns exactly this many may have been cut short, and says so.
 */
export const READ_ALL = 1_000_000_000;

export interface HistoryFilter {
  app?: string;
  environment?: string;
  runbook?: string;
  /** The requester or one of the approvers (or who made an outside change). */
  operator?: string;
  /** ISO time: runs started (outside changes found) at or after it. */
  since?: string;
  limit: number;
}

export type HistoryLine = RunSummary | OutsideChange;

const same = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

function runMatches(run: RunSummary, filter: HistoryFilter): boolean {
  if (filter.app && run.app !== filter.app) return false;
  if (filter.environment && run.environment !== filter.environment) return false;
  if (filter.operator) {
    const people = [run.requester, ...run.approvers].map((person) => person.name);
    if (!people.some((name) => same(name, filter.operator!))) return false;
  }
  return true;
}

/** A run's records, in order: its workflow ID's records, of this run only. */
export async function readRun(log: AuditLog, workflowId: string, runId: string): Promise<AuditEntry[]> {
  const entries = await log.query({ workflowId, limit: READ_ALL });
  return entries.filter((entry) => entry.runId === runId).sort((a, b) => a.seq - b.seq);
}

/**
 * The operation history, newest first: one line per run (from its start record, read with its whole trail), and
 * the outside changes. Runs are read one at a time, newest first, until `limit` match: a filter the store cannot
 * apply itself (a run's app is on its later records; an approver on its approval records) costs reads, not memory.
 */
export async function readHistory(log: AuditLog, filter: HistoryFilter): Promise<HistoryLine[]> {
  const starts = await log.query({ event: 'started', runbook: filter.runbook, since: filter.since, limit: READ_ALL });
  const outside = filter.runbook
    ? []
    : (
        await log.query({
          event: 'outside-change',
          app: filter.app,
          environment: filter.environment,
          since: filter.since,
          limit: filter.limit,
        })
      )
        .filter((entry) => !filter.operator || same(entry.operator, filter.operator))
        .map(outsideChangeOf);
  const runs: RunSummary[] = [];
  // Newest first, and only as many as could still make the cut once merged with the outside changes.
  for (const start of starts) {
    if (runs.length >= filter.limit) break;
    const summary = summarizeRun(await readRun(log, start.workflowId, start.runId));
    if (summary && runMatches(summary, filter)) runs.push(summary);
  }
  const when = (line: HistoryLine) => (line.kind === 'run' ? line.startedAt : line.at);
  return [...runs, ...outside].sort((a, b) => when(b).localeCompare(when(a))).slice(0, filter.limit);
}
