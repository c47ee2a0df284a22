import { END_EVENTS, type AuditEntry, type AuditEvent } from '../../common/audit';

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
  /** Runs whose trail has a start and no end, started before the given time: oldest first. */
  openRuns(query: { startedBefore: string; limit?: number }): Promise<OpenRun[]>;
  close(): Promise<void>;
}

/** A run whose trail has no end record (yet): still running, or ended in Temporal without writing one. */
export interface OpenRun {
  workflowId: string;
  runId: string;
  runbook: string;
  operator: string;
  /** The app from its latest record that names one. */
  app: string | null;
  environment: string | null;
  startedAt: string;
  /** The run's highest record position: an end written for it goes after. */
  lastSeq: number;
}

/** The open runs' SQL, the same for SQLite and Postgres but for how parameters are spelled. */
export function openRunsSql(placeholder: (n: number) => string): string {
  const ends = END_EVENTS.map((event) => `'${event}'`).join(', ');
  const same = 'o.workflow_id = s.workflow_id AND o.run_id = s.run_id';
  return `SELECT s.workflow_id, s.run_id, s.runbook, s.operator, s.at,
      (SELECT MAX(o.seq) FROM runbook_audit o WHERE ${same}) AS last_seq,
      (SELECT o.app FROM runbook_audit o WHERE ${same} AND o.app IS NOT NULL ORDER BY o.seq DESC LIMIT 1) AS app,
      (SELECT o.environment FROM runbook_audit o WHERE ${same} AND o.environment IS NOT NULL ORDER BY o.seq DESC LIMIT 1) AS environment
    FROM runbook_audit s
    WHERE s.event = 'started' AND s.at < ${placeholder(1)}
      AND NOT EXISTS (SELECT 1 FROM runbook_audit o WHERE ${same} AND o.event IN (${ends}))
    ORDER BY s.at LIMIT ${placeholder(2)}`;
}

export function fromOpenRunRow(row: {
  workflow_id: string;
  run_id: string;
  runbook: string;
  operator: string;
  at: string | Date;
  last_seq: number | string;
  app: string | null;
  environment: string | null;
}): OpenRun {
  return {
    workflowId: row.workflow_id,
    runId: row.run_id,
    runbook: row.runbook,
    operator: row.operator,
    app: row.app,
    environment: row.environment,
    startedAt: row.at instanceof Date ? row.at.toISOString() : row.at,
    lastSeq: Number(row.last_seq),
  };
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
