import { Pool } from 'pg';
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

/** The scale-out audit log: a table in a real Postgres, shared by every worker and CLI. */
export class PostgresAuditLog implements AuditLog {
  readonly location: string;
  private readonly pool: Pool;
  private ready?: Promise<void>;

  constructor(connectionString: string) {
    this.pool = new Pool({ connectionString, max: 4 });
    const url = new URL(connectionString);
    if (url.password) url.password = '***';
    this.location = url.toString();
  }

  private ensureTable(): Promise<void> {
    this.ready ??= this.pool
      .query(
        `CREATE TABLE IF NOT EXISTS runbook_audit (
          workflow_id TEXT NOT NULL,
          run_id TEXT NOT NULL,
          seq INTEGER NOT NULL,
          at TIMESTAMPTZ NOT NULL,
          runbook TEXT NOT NULL,
          event TEXT NOT NULL,
          operator TEXT NOT NULL,
          app TEXT,
          environment TEXT,
          summary TEXT NOT NULL,
          details JSONB NOT NULL,
          PRIMARY KEY (workflow_id, run_id, seq)
        );
        CREATE INDEX IF NOT EXISTS runbook_audit_app_at ON runbook_audit (app, at);
        CREATE INDEX IF NOT EXISTS runbook_audit_at ON runbook_audit (at);`,
      )
      .then(
        () => undefined,
        (err: Error) => {
          this.ready = undefined; // let the next call try again
          throw err;
        },
      );
    return this.ready;
  }

  async write(entry: AuditEntry): Promise<boolean> {
    await this.ensureTable();
    const placeholders = AUDIT_COLUMNS.map((_, i) => `$${i + 1}`).join(', ');
    const result = await this.pool.query(
      `INSERT INTO runbook_audit (${AUDIT_COLUMNS.join(', ')}) VALUES (${placeholders}) ON CONFLICT DO NOTHING`,
      toParams(entry),
    );
    return result.rowCount === 1;
  }

  async query(query: AuditQuery = {}): Promise<AuditEntry[]> {
    await this.ensureTable();
    const { sql, params } = whereClause(query, (n) => `$${n}`);
    const result = await this.pool.query<AuditRow>(
      `SELECT * FROM runbook_audit ${sql} ORDER BY at DESC, workflow_id, seq DESC LIMIT $${params.length + 1}`,
      [...params, query.limit ?? 100],
    );
    return result.rows.map(fromRow);
  }

  async openRuns({ startedBefore, limit = 100 }: { startedBefore: string; limit?: number }): Promise<OpenRun[]> {
    await this.ensureTable();
    const result = await this.pool.query<Parameters<typeof fromOpenRunRow>[0]>(
      openRunsSql((n) => `$${n}`),
      [startedBefore, limit],
    );
    return result.rows.map(fromOpenRunRow);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
