import { END_EVENTS, type AuditEntry, type AuditEvent } from '../../common/audit';
import { AuditKeyError, type AuditSigner } from './audit-keys';
import { GENESIS_HASH, normalizedTime, recordHash, type ChainedEntry } from './chain';

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

export interface ChainQuery {
  /** Records after this position (default 0: from the first). */
  afterPosition?: number;
  /** At most this many (default 1000). */
  limit?: number;
}

/** How a store is opened: by the worker, with its signing key; by readers, read-only. */
export interface AuditLogOptions {
  /** The worker's audit key: without it the store cannot be written. */
  signer?: AuditSigner;
  /** Never create or change the table (a CLI user with a read-only database role). */
  readOnly?: boolean;
}

/**
 * Where audit records live: one hash chain per store, each record signed (chain.ts). Writes are idempotent: a record
 * already there (same run, same seq) is left as is.
 */
export interface AuditLog {
  /** Where it is, as people should see it (a file path, or a Postgres URL without its password). */
  readonly location: string;
  /**
   * Appends the entry at the end of the chain unless one with its workflowId, runId and seq exists; returns the
   * stored record (the earlier one if it existed) and whether this call wrote it.
   */
  append(entry: AuditEntry): Promise<{ written: boolean; record: ChainedEntry }>;
  /**
   * The chain's ID: the hash of its first record (null while empty). It tells one trail from another, and nobody
   * can change it without breaking the chain.
   */
  chainId(): Promise<string | null>;
  /** append(), returning only whether it wrote. */
  write(entry: AuditEntry): Promise<boolean>;
  /** Matching entries, newest first. */
  query(query?: AuditQuery): Promise<ChainedEntry[]>;
  /** Records in chain order (oldest first): what verify and export walk, a page at a time. */
  records(query?: ChainQuery): Promise<ChainedEntry[]>;
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

/** A stored record's fields, in the order of the table's columns (and of a CSV export). */
export const CHAINED_ENTRY_FIELDS = [
  'position',
  'prevHash',
  'hash',
  'keyId',
  'signature',
  'workflowId',
  'runId',
  'seq',
  'at',
  'runbook',
  'event',
  'operator',
  'app',
  'environment',
  'summary',
  'details',
] as const satisfies readonly (keyof ChainedEntry)[];

/** The table's columns: the fields in snake case. */
export const AUDIT_COLUMNS = CHAINED_ENTRY_FIELDS.map((field) => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));

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
  position: number | string;
  prev_hash: string;
  hash: string;
  key_id: string;
  signature: string;
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

export function fromRow(row: AuditRow): ChainedEntry {
  return {
    position: Number(row.position),
    prevHash: row.prev_hash,
    hash: row.hash,
    keyId: row.key_id,
    signature: row.signature,
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

export function toParams(entry: ChainedEntry): unknown[] {
  return [
    entry.position,
    entry.prevHash,
    entry.hash,
    entry.keyId,
    entry.signature,
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

/** What both stores do the same way on top of their append() and records(). */
export abstract class ChainedAuditLog {
  abstract append(entry: AuditEntry): Promise<{ written: boolean; record: ChainedEntry }>;
  abstract records(query?: ChainQuery): Promise<ChainedEntry[]>;
  private firstHash: string | null = null;

  async chainId(): Promise<string | null> {
    this.firstHash ??= (await this.records({ limit: 1 }))[0]?.hash ?? null;
    return this.firstHash;
  }

  async write(entry: AuditEntry): Promise<boolean> {
    return (await this.append(entry)).written;
  }
}

/**
 * The record `entry` becomes at the end of a chain whose last record is `head`: its position, the head's hash, its
 * own hash and the signer's signature. Without a signer the store cannot be written.
 */
export function nextInChain(
  entry: AuditEntry,
  head: { position: number; hash: string } | undefined,
  signer: AuditSigner | undefined,
  location: string,
): ChainedEntry {
  if (!signer)
    throw new AuditKeyError(
      `The audit trail ${location} was opened without the audit signing key: only the worker writes it.`,
    );
  // Hashed as it will be read back: the time as the stores return it, details as JSON (a Date becomes its string).
  const record = {
    ...entry,
    at: normalizedTime(entry.at),
    details: JSON.parse(JSON.stringify(entry.details ?? {})) as Record<string, unknown>,
  };
  const link = { position: (head?.position ?? 0) + 1, prevHash: head?.hash ?? GENESIS_HASH, keyId: signer.keyId };
  const hash = recordHash(record, link);
  return { ...record, ...link, hash, signature: signer.sign(hash) };
}

/** The table, the same for both stores but for their types (`text`: JSON details; `time`: timestamps). */
export function auditTableSql(types: { time: string; details: string }): string {
  return `CREATE TABLE IF NOT EXISTS runbook_audit (
      position BIGINT NOT NULL UNIQUE,
      prev_hash TEXT NOT NULL,
      hash TEXT NOT NULL,
      key_id TEXT NOT NULL,
      signature TEXT NOT NULL,
      workflow_id TEXT NOT NULL,
      run_id TEXT NOT NULL,
      seq INTEGER NOT NULL,
      at ${types.time} NOT NULL,
      runbook TEXT NOT NULL,
      event TEXT NOT NULL,
      operator TEXT NOT NULL,
      app TEXT,
      environment TEXT,
      summary TEXT NOT NULL,
      details ${types.details} NOT NULL,
      PRIMARY KEY (workflow_id, run_id, seq)
    );
    CREATE INDEX IF NOT EXISTS runbook_audit_app_at ON runbook_audit (app, at);
    CREATE INDEX IF NOT EXISTS runbook_audit_at ON runbook_audit (at);`;
}

/** A trail written before records were chained: it is moved aside (kept, not verified) under this name. */
export const UNCHAINED_TABLE = 'runbook_audit_unchained';
