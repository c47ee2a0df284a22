import type { AuditEntry, AuditEvent } from '../../common/audit';

export interface AuditQuery {
  app?: string;
  environment?: string;
  runbook?: string;
  operator?: string;
  workflowId?: string;
  event?: AuditEvent;
  /** ISO time: entries at or after it. */
  since?: string;
  /** Newest first, at most this many (default 100). */
  limit?: number;
}

/** Where audit entries live. Writes are idempotent: an entry already there (same run, same seq) is left as is. */
export interface AuditLog {
  /** Where it is, as people should see it (a file path, or a Postgres URL without its password). */
  readonly location: string;
  /** Stores the entry unless one with its workflowId, runId and seq exists; returns whether it stored it. */
  write(entry: AuditEntry): Promise<boolean>;
  /** Matching entries, newest first. */
  query(query?: AuditQuery): Promise<AuditEntry[]>;
  close(): Promise<void>;
}

export const AUDIT_COLUMNS = [
  'workflow_id',
  'run_id',
  'seq',
  'at',
  'runbook',
  'event',
  'operator',
  'app',
  'environment',
  'summary',
  'details',
] as const;

/** Turns a query into SQL conditions; `placeholder(n)` spells the n-th parameter for the database at hand. */
export function whereClause(query: AuditQuery, placeholder: (n: number) => string): { sql: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const add = (column: string, operator: string, value: unknown) => {
    params.push(value);
    conditions.push(`${column} ${operator} ${placeholder(params.length)}`);
  };
  if (query.app) add('app', '=', query.app);
  if (query.environment) add('environment', '=', query.environment);
  if (query.runbook) add('runbook', '=', query.runbook);
  if (query.operator) add('operator', '=', query.operator);
  if (query.workflowId) add('workflow_id', '=', query.workflowId);
  if (query.event) add('event', '=', query.event);
  if (query.since) add('at', '>=', query.since);
  return { sql: conditions.length ? `WHERE ${conditions.join(' AND ')}` : '', params };
}

export interface AuditRow {
  workflow_id: string;
  run_id: string;
  seq: number;
  at: string | Date;
  runbook: string;
  event: string;
  operator: string;
  app: string | null;
  environment: string | null;
  summary: string;
  details: string | Record<string, unknown>;
}

export function fromRow(row: AuditRow): AuditEntry {
  return {
    workflowId: row.workflow_id,
    runId: row.run_id,
    seq: Number(row.seq),
    at: row.at instanceof Date ? row.at.toISOString() : row.at,
    runbook: row.runbook,
    event: row.event as AuditEvent,
    operator: row.operator,
    app: row.app,
    environment: row.environment,
    summary: row.summary,
    details: typeof row.details === 'string' ? JSON.parse(row.details) : row.details,
  };
}

export function toParams(entry: AuditEntry): unknown[] {
  return [
    entry.workflowId,
    entry.runId,
    entry.seq,
    entry.at,
    entry.runbook,
    entry.event,
    entry.operator,
    entry.app,
    entry.environment,
    entry.summary,
    JSON.stringify(entry.details),
  ];
}
