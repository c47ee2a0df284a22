import { Pool } from 'pg';
import {
  AUDIT_COLUMNS,
  ChainedAuditLog,
  auditTableSql,
  fromOpenRunRow,
  fromRow,
  nextInChain,
  openRunsSql,
  toParams,
  UNCHAINED_TABLE,
  whereClause,
  type AuditLog,
  type AuditLogOptions,
  type AuditQuery,
  type AuditRow,
  type ChainQuery,
  type OpenRun,
} from './audit-log';
import type { AuditEntry } from '../../common/audit';
import type { AuditSigner } from './audit-keys';
import type { ChainedEntry } from './chain';

/** Postgres's "relation does not exist": a reader's trail that nobody has written yet. */
const UNDEFINED_TABLE = '42P01';

/** The scale-out audit log: a table in a real Postgres, shared by every worker and CLI. */
export class PostgresAuditLog extends ChainedAuditLog implements AuditLog {
  readonly location: string;
  private readonly pool: Pool;
  private readonly signer?: AuditSigner;
  private readonly readOnly: boolean;
  private ready?: Promise<void>;

  constructor(connectionString: string, { signer, readOnly = false }: AuditLogOptions = {}) {
    super();
    this.pool = new Pool({ connectionString, max: 4 });
    this.signer = signer;
    this.readOnly = readOnly;
    const url = new URL(connectionString);
    if (url.password) url.password = '***';
    this.location = url.toString();
  }

  /** Creates the table (moving an unchained one aside) unless read-only: a reader's role may not. */
  private ensureTable(): Promise<void> {
    if (this.readOnly) return Promise.resolve();
    this.ready ??= this.pool
      .query(
        `DO $$ BEGIN
          IF EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'runbook_audit')
             AND NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'runbook_audit' AND column_name = 'hash')
          THEN ALTER TABLE runbook_audit RENAME TO ${UNCHAINED_TABLE};
          END IF;
        END $$;
        ${auditTableSql({ time: 'TIMESTAMPTZ', details: 'JSONB' })}`,
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

  /** A read of a table that does not exist yet is an empty trail for a reader. */
  private async read<T>(sql: string, params: unknown[]): Promise<T[]> {
    await this.ensureTable();
    try {
      return (await this.pool.query(sql, params)).rows as T[];
    } catch (err) {
      if (this.readOnly && (err as { code?: string }).code === UNDEFINED_TABLE) return [];
      throw err;
    }
  }

  async append(entry: AuditEntry): Promise<{ written: boolean; record: ChainedEntry }> {
    await this.ensureTable();
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // Writers queue here (readers do not): the head is read and the next record written by one writer at a time.
      await client.query('LOCK TABLE runbook_audit IN SHARE ROW EXCLUSIVE MODE');
      const existing = await client.query<AuditRow>(
        'SELECT * FROM runbook_audit WHERE workflow_id = $1 AND run_id = $2 AND seq = $3',
        [entry.workflowId, entry.runId, entry.seq],
      );
      if (existing.rows[0]) {
        await client.query('COMMIT');
        return { written: false, record: fromRow(existing.rows[0]) };
      }
      const head = await client.query<{ position: string; hash: string }>(
        'SELECT position, hash FROM runbook_audit ORDER BY position DESC LIMIT 1',
      );
      const last = head.rows[0];
      const record = nextInChain(
        entry,
        last && { position: Number(last.position), hash: last.hash },
        this.signer,
        this.location,
      );
      const placeholders = AUDIT_COLUMNS.map((_, i) => `$${i + 1}`).join(', ');
      await client.query(
        `INSERT INTO runbook_audit (${AUDIT_COLUMNS.join(', ')}) VALUES (${placeholders})`,
        toParams(record),
      );
      await client.query('COMMIT');
      return { written: true, record };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async query(query: AuditQuery = {}): Promise<ChainedEntry[]> {
    const { sql, params } = whereClause(query, (n) => `$${n}`);
    const rows = await this.read<AuditRow>(
      `SELECT * FROM runbook_audit ${sql} ORDER BY position DESC LIMIT $${params.length + 1}`,
      [...params, query.limit ?? 100],
    );
    return rows.map(fromRow);
  }

  async records({ afterPosition = 0, limit = 1000 }: ChainQuery = {}): Promise<ChainedEntry[]> {
    const rows = await this.read<AuditRow>(
      'SELECT * FROM runbook_audit WHERE position > $1 ORDER BY position LIMIT $2',
      [afterPosition, limit],
    );
    return rows.map(fromRow);
  }

  async openRuns({ startedBefore, limit = 100 }: { startedBefore: string; limit?: number }): Promise<OpenRun[]> {
    const rows = await this.read<Parameters<typeof fromOpenRunRow>[0]>(
      openRunsSql((n) => `$${n}`),
      [startedBefore, limit],
    );
    return rows.map(fromOpenRunRow);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
