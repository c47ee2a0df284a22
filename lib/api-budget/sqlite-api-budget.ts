import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import {
  BUDGET_TABLE,
  FIRST_ANSWER_HOLD_MS,
  bucketShape,
  budgetAccountKey,
  waitAfterTaking,
  type ApiBudget,
  type Reservation,
} from './api-budget';
import type { ApiBudgetSettings } from './settings';

/** Opening waits for other openers (workers starting together); a statement waits less: it blocks the event loop. */
const OPEN_BUSY_TIMEOUT_MS = 10_000;
const BUSY_TIMEOUT_MS = 1_000;

/** The bucket refilled to `@now`: what every statement starts from (columns are the row's values before it). */
const REFILLED = 'MIN(@top, level + MAX(0, @now - updated_ms) * @perMs)';

/**
 * The API budget in a SQLite file (the audit trail's, on one machine): each operation is one upsert, which SQLite
 * runs under its write lock, so the worker processes sharing the file take turns. Their clock is the machine's.
 */
export class SqliteApiBudget implements ApiBudget {
  readonly location: string;
  private readonly db: Database.Database;
  private readonly account: string;
  private readonly shape: { top: number; perMs: number };
  private readonly statements: {
    reserve: Database.Statement;
    release: Database.Statement;
    observe: Database.Statement;
    level: Database.Statement;
  };

  constructor(
    file: string,
    apiKey: string,
    readonly settings: ApiBudgetSettings,
  ) {
    this.location = file;
    this.account = budgetAccountKey(apiKey);
    this.shape = bucketShape(settings);
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.db = new Database(file);
    this.db.pragma(`busy_timeout = ${OPEN_BUSY_TIMEOUT_MS}`);
    // WAL: the audit trail's readers never wait for a budget write (the audit log sets it too; it sticks to the file).
    this.db.pragma('journal_mode = WAL');
    this.db.exec(
      `CREATE TABLE IF NOT EXISTS ${BUDGET_TABLE} (account TEXT PRIMARY KEY, level REAL NOT NULL, updated_ms REAL NOT NULL)`,
    );
    this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    this.statements = {
      // Taking from a full bucket holds its refill until Heroku answers (FIRST_ANSWER_HOLD_MS).
      reserve: this.db.prepare(
        `INSERT INTO ${BUDGET_TABLE} (account, level, updated_ms) VALUES (@account, @top - 1, @now + @hold)
         ON CONFLICT (account) DO UPDATE SET level = ${REFILLED} - 1,
           updated_ms = CASE WHEN ${REFILLED} >= @top THEN @now + @hold ELSE MAX(updated_ms, @now) END
         RETURNING level, updated_ms`,
      ),
      release: this.db.prepare(
        `UPDATE ${BUDGET_TABLE} SET level = MIN(@top, ${REFILLED} + 1), updated_ms = MAX(updated_ms, @now) WHERE account = @account`,
      ),
      // An answer: the refill runs from now (a hold ends), and the level comes down to Heroku's count.
      observe: this.db.prepare(
        `INSERT INTO ${BUDGET_TABLE} (account, level, updated_ms) VALUES (@account, MIN(@top, @target), @now)
         ON CONFLICT (account) DO UPDATE SET level = MIN(${REFILLED}, @target + MIN(0, ${REFILLED})), updated_ms = @now`,
      ),
      level: this.db.prepare(`SELECT ${REFILLED} AS level FROM ${BUDGET_TABLE} WHERE account = @account`),
    };
  }

  private params(now = Date.now()) {
    return { account: this.account, now, ...this.shape };
  }

  async reserve(maxWaitMs = Infinity): Promise<Reservation> {
    const now = Date.now();
    const row = this.statements.reserve.get({ ...this.params(now), hold: FIRST_ANSWER_HOLD_MS }) as {
      level: number;
      updated_ms: number;
    };
    const waitMs = waitAfterTaking(row.level, row.updated_ms, now, this.shape.perMs);
    if (waitMs <= maxWaitMs) return { granted: true, waitMs };
    await this.release();
    return { granted: false, waitMs };
  }

  async release(): Promise<void> {
    this.statements.release.run(this.params());
  }

  async observe(remaining: number): Promise<void> {
    this.statements.observe.run({ ...this.params(), target: remaining - this.settings.reserve });
  }

  async level(): Promise<number> {
    const row = this.statements.level.get(this.params()) as { level: number } | undefined;
    return row?.level ?? this.shape.top;
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
