import { Pool } from 'pg';
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

/**
 * The database's clock, in ms: workers on several machines share its one clock, so a worker whose clock runs ahead
 * cannot refill the bucket early.
 */
const NOW = '(extract(epoch FROM clock_timestamp()) * 1000)::float8';

/** The bucket refilled to now ($2 its top, $3 its refill per ms); `b` is the row before the statement. */
const REFILLED = `LEAST($2::float8, b.level + GREATEST(0, ${NOW} - b.updated_ms) * $3::float8)`;

/** Another worker creating the table at the same moment: "already exists" (the table, or its row type). */
const CREATED_MEANWHILE = ['42P07', '23505'];

/**
 * The API budget in Postgres (the audit trail's database, shared by workers on any number of machines): each
 * operation is one statement on the account's row, which Postgres runs under that row's lock, so concurrent workers
 * take turns and none reads a level another is about to change.
 */
export class PostgresApiBudget implements ApiBudget {
  readonly location: string;
  private readonly pool: Pool;
  private readonly account: string;
  private readonly shape: { top: number; perMs: number };
  private ready?: Promise<void>;

  constructor(
    connectionString: string,
    apiKey: string,
    readonly settings: ApiBudgetSettings,
  ) {
    this.pool = new Pool({ connectionString, max: 4 });
    this.account = budgetAccountKey(apiKey);
    this.shape = bucketShape(settings);
    const url = new URL(connectionString);
    if (url.password) url.password = '***';
    this.location = url.toString();
  }

  private ensureTable(): Promise<void> {
    this.ready ??= this.pool
      .query(
        `CREATE TABLE IF NOT EXISTS ${BUDGET_TABLE} (account TEXT PRIMARY KEY, level DOUBLE PRECISION NOT NULL, updated_ms DOUBLE PRECISION NOT NULL)`,
      )
      .then(
        () => undefined,
        (err: { code?: string }) => {
          if (CREATED_MEANWHILE.includes(err.code ?? '')) return;
          this.ready = undefined; // let the next call try again
          throw err;
        },
      );
    return this.ready;
  }

  /** One statement on the account's row ($1 account, $2 top, $3 refill per ms, then `extra`): the row after it. */
  private async run(
    sql: string,
    extra: unknown[] = [],
  ): Promise<{ level: number; updated_ms: number; now_ms: number }> {
    await this.ensureTable();
    const { rows } = await this.pool.query<{ level: number; updated_ms: number; now_ms: number }>(sql, [
      this.account,
      this.shape.top,
      this.shape.perMs,
      ...extra,
    ]);
    return rows[0];
  }

  async reserve(maxWaitMs = Infinity): Promise<Reservation> {
    // Taking from a full bucket holds its refill until Heroku answers (FIRST_ANSWER_HOLD_MS). The SET clauses read
    // the clock themselves: they run once the row is locked, after any wait for another worker's statement.
    const row = await this.run(
      `INSERT INTO ${BUDGET_TABLE} AS b (account, level, updated_ms) VALUES ($1, $2::float8 - 1, ${NOW} + $4::float8)
       ON CONFLICT (account) DO UPDATE SET level = ${REFILLED} - 1,
         updated_ms = CASE WHEN ${REFILLED} >= $2::float8 THEN ${NOW} + $4::float8 ELSE GREATEST(b.updated_ms, ${NOW}) END
       RETURNING level, updated_ms, ${NOW} AS now_ms`,
      [FIRST_ANSWER_HOLD_MS],
    );
    const waitMs = waitAfterTaking(row.level, row.updated_ms, row.now_ms, this.shape.perMs);
    if (waitMs <= maxWaitMs) return { granted: true, waitMs };
    await this.release();
    return { granted: false, waitMs };
  }

  async release(): Promise<void> {
    await this.run(
      `UPDATE ${BUDGET_TABLE} AS b SET level = LEAST($2::float8, ${REFILLED} + 1), updated_ms = GREATEST(b.updated_ms, ${NOW})
       WHERE account = $1 RETURNING level`,
    );
  }

  async observe(remaining: number): Promise<void> {
    // An answer: the refill runs from now (a hold ends), and the level comes down to Heroku's count.
    await this.run(
      `INSERT INTO ${BUDGET_TABLE} AS b (account, level, updated_ms) VALUES ($1, LEAST($2::float8, $4::float8), ${NOW})
       ON CONFLICT (account) DO UPDATE SET level = LEAST(${REFILLED}, $4::float8 + LEAST(0, ${REFILLED})), updated_ms = ${NOW}
       RETURNING level`,
      [remaining - this.settings.reserve],
    );
  }

  async level(): Promise<number> {
    await this.ensureTable();
    const { rows } = await this.pool.query<{ level: number }>(
      `SELECT ${REFILLED} AS level FROM ${BUDGET_TABLE} AS b WHERE account = $1`,
      [this.account, this.shape.top, this.shape.perMs],
    );
    return rows[0]?.level ?? this.shape.top;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
