import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import {
  AUDIT_COLUMNS,
  fromOpenRunRow,
  fromRow,
  openRunsSql,
  toParams,
  whereClause,
  type AuditLog,
  type AuditQuery,
  type AuditRow,
  type OpenRun,
} from './audit-log';
import type { AuditEntry } from '../../common/audit';

/** The single-machine audit log: one SQLite file (default .data/audit.db), safe for several processes. */
export class SqliteAuditLog implements AuditLog {
  private readonly db: Database.Database;

  /**
   * `busyTimeoutMs`: how long one statement waits for another writer. better-sqlite3 waits synchronously, blocking
   * the worker's event loop, so this is short; the audit activity tries again (asynchronously) until its deadline.
   */
  constructor(
    readonly location: string,
    { busyTimeoutMs = 1000 }: { busyTimeoutMs?: number } = {},
  ) {
    mkdirSync(path.dirname(path.resolve(location)), { recursive: true });
    this.db = new Database(location);
    // WAL lets the CLI read while a worker writes; busy_timeout makes concurrent writers wait instead of failing.
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`busy_timeout = ${Math.max(0, Math.round(busyTimeoutMs))}`);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS runbook_audit (
        workflow_id TEXT NOT NULL,
        run_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        at TEXT NOT NULL,
        runbook TEXT NOT NULL,
        event TEXT NOT NULL,
        operator TEXT NOT NULL,
        app TEXT,
        environment TEXT,
        summary TEXT NOT NULL,
        details TEXT NOT NULL,
        PRIMARY KEY (workflow_id, run_id, seq)
      );
      CREATE INDEX IF NOT EXISTS runbook_audit_app_at ON runbook_audit (app, at);
      CREATE INDEX IF NOT EXISTS runbook_audit_at ON runbook_audit (at);
    `);
  }

  async write(entry: AuditEntry): Promise<boolean> {
    const placeholders = AUDIT_COLUMNS.map(() => '?').join(', ');
    const result = this.db
      .prepare(
        `INSERT INTO runbook_audit (${AUDIT_COLUMNS.join(', ')}) VALUES (${placeholders}) ON CONFLICT DO NOTHING`,
      )
      .run(...toParams(entry));
    return result.changes === 1;
  }

  async query(query: AuditQuery = {}): Promise<AuditEntry[]> {
    const { sql, params } = whereClause(query, () => '?');
    const rows = this.db
      .prepare(`SELECT * FROM runbook_audit ${sql} ORDER BY at DESC, workflow_id, seq DESC LIMIT ?`)
      .all(...params, query.limit ?? 100) as AuditRow[];
    return rows.map(fromRow);
  }

  async openRuns({ startedBefore, limit = 100 }: { startedBefore: string; limit?: number }): Promise<OpenRun[]> {
    const rows = this.db.prepare(openRunsSql(() => '?')).all(startedBefore, limit) as Parameters<
      typeof fromOpenRunRow
    >[0][];
    return rows.map(fromOpenRunRow);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
