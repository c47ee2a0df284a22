import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
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

/** The single-machine audit log: one SQLite file (default .data/audit.db), safe for several processes. */
/** How long opening the store waits for other openers: start-up, so blocking the event loop costs nothing. */
const OPEN_BUSY_TIMEOUT_MS = 10_000;

export class SqliteAuditLog extends ChainedAuditLog implements AuditLog {
  private readonly db: Database.Database | null;
  private readonly signer?: AuditSigner;

  /**
   * `busyTimeoutMs`: how long one statement waits for another writer. better-sqlite3 waits synchronously, blocking
   * the worker's event loop, so this is short; the audit activity tries again (asynchronously) until its deadline.
   * Read-only, a file that does not exist yet is an empty trail (nothing has been written).
   */
  readonly location: string;

  constructor(
    location: string,
    { busyTimeoutMs = 1000, signer, readOnly = false }: AuditLogOptions & { busyTimeoutMs?: number } = {},
  ) {
    super();
    this.signer = signer;
    this.location = location;
    if (readOnly) {
      // A reader never makes the file: a mistyped RUNBOOK_AUDIT_DB shows as such, not as an empty trail.
      if (!existsSync(location)) this.location = `${location} (no such file: nothing recorded there)`;
      this.db = existsSync(location) ? new Database(location, { readonly: true, fileMustExist: true }) : null;
      this.db?.pragma(`busy_timeout = ${Math.max(0, Math.round(busyTimeoutMs))}`);
      return;
    }
    mkdirSync(path.dirname(path.resolve(location)), { recursive: true });
    this.db = new Database(location);
    // Several workers on one machine open the same file at once (they all start together after a reboot): each
    // waits for the others' set-up, longer than for one write, instead of dying with "database is locked".
    this.db.pragma(`busy_timeout = ${OPEN_BUSY_TIMEOUT_MS}`);
    // WAL lets the CLI read while a worker writes; busy_timeout makes concurrent writers wait instead of failing.
    this.db.pragma('journal_mode = WAL');
    // IMMEDIATE: a read that then writes would fail at once (not wait) when another opener writes in between.
    this.db
      .transaction(() => {
        const columns = this.db!.prepare("SELECT name FROM pragma_table_info('runbook_audit')").all() as {
          name: string;
        }[];
        if (columns.length && !columns.some((column) => column.name === 'hash')) {
          this.db!.exec(`ALTER TABLE runbook_audit RENAME TO ${UNCHAINED_TABLE}`);
        }
        this.db!.exec(auditTableSql({ time: 'TEXT', details: 'TEXT' }));
      })
      .immediate();
    this.db.pragma(`busy_timeout = ${Math.max(0, Math.round(busyTimeoutMs))}`);
  }

  async append(entry: AuditEntry): Promise<{ written: boolean; record: ChainedEntry }> {
    const db = this.db!;
    const placeholders = AUDIT_COLUMNS.map(() => '?').join(', ');
    // IMMEDIATE: the head is read and the next record written under one write lock, so two writers never both
    // take the same position.
    return db
      .transaction(() => {
        const existing = db
          .prepare('SELECT * FROM runbook_audit WHERE workflow_id = ? AND run_id = ? AND seq = ?')
          .get(entry.workflowId, entry.runId, entry.seq) as AuditRow | undefined;
        if (existing) return { written: false, record: fromRow(existing) };
        const head = db.prepare('SELECT position, hash FROM runbook_audit ORDER BY position DESC LIMIT 1').get() as
          { position: number; hash: string } | undefined;
        const record = nextInChain(entry, head, this.signer, this.location);
        db.prepare(`INSERT INTO runbook_audit (${AUDIT_COLUMNS.join(', ')}) VALUES (${placeholders})`).run(
          ...toParams(record),
        );
        return { written: true, record };
      })
      .immediate();
  }

  async query(query: AuditQuery = {}): Promise<ChainedEntry[]> {
    if (!this.db) return [];
    const { sql, params } = whereClause(query, () => '?');
    const rows = this.db
      .prepare(`SELECT * FROM runbook_audit ${sql} ORDER BY position DESC LIMIT ?`)
      .all(...params, query.limit ?? 100) as AuditRow[];
    return rows.map(fromRow);
  }

  async records({ afterPosition = 0, limit = 1000 }: ChainQuery = {}): Promise<ChainedEntry[]> {
    if (!this.db) return [];
    const rows = this.db
      .prepare('SELECT * FROM runbook_audit WHERE position > ? ORDER BY position LIMIT ?')
      .all(afterPosition, limit) as AuditRow[];
    return rows.map(fromRow);
  }

  async openRuns({ startedBefore, limit = 100 }: { startedBefore: string; limit?: number }): Promise<OpenRun[]> {
    if (!this.db) return [];
    const rows = this.db.prepare(openRunsSql(() => '?')).all(startedBefore, limit) as Parameters<
      typeof fromOpenRunRow
    >[0][];
    return rows.map(fromOpenRunRow);
  }

  async close(): Promise<void> {
    this.db?.close();
  }
}
