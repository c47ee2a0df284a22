import { createHash } from 'node:crypto';
import type { ApiBudgetSettings } from './settings';

/**
 * The Heroku API budget of one account, shared by every worker that uses its token: a token bucket kept in a
 * database all of them reach (the audit trail's), so that together they never send more than Heroku allows.
 *
 * A request reserves its token before it leaves. The bucket may go below zero: each reservation is then a place in
 * a queue, served as the bucket refills (at `perHour`), first come first served, with one database statement per
 * request and none while waiting. Heroku's own count (RateLimit-Remaining, which includes what other clients of the
 * token spent) only ever lowers the bucket.
 *
 * Why not Temporal's task-queue activity rate limit (`maxTaskQueueActivitiesPerSecond`)? The server does enforce it
 * across workers, but it counts activity starts, not Heroku requests (one watch activity makes dozens), it is per
 * task queue rather than per Heroku account, and nothing can feed it what Heroku says is left.
 */
export interface ApiBudget {
  /** Where the bucket is kept, for messages (a Postgres URL without its password, or a SQLite file). */
  readonly location: string;
  readonly settings: ApiBudgetSettings;
  /**
   * Reserves one request's token: resolves with how long to wait before sending (0: at once). When that would be
   * longer than `maxWaitMs`, nothing is reserved (`granted: false`) and `waitMs` says how long it would have been.
   */
  reserve(maxWaitMs?: number): Promise<Reservation>;
  /** Gives back a reserved token that will not be used (its request was cancelled while it waited). */
  release(): Promise<void>;
  /**
   * Heroku said `remaining` requests are left (RateLimit-Remaining): the bucket comes down to that, less the reserve
   * and the requests already queued for tokens. It never goes up this way: an older answer arriving late, or
   * Heroku refilling faster than the budget, cannot make the workers spend more.
   */
  observe(remaining: number): Promise<void>;
  /** Tokens there now: negative when requests are queued for them. For logs and tests. */
  level(): Promise<number>;
  close(): Promise<void>;
}

export interface Reservation {
  granted: boolean;
  waitMs: number;
}

/**
 * The row of one account: a hash of its token, never the token. Heroku counts per account and a token belongs to
 * one; workers given the same token share the row. The label keeps the hash from matching any other use of one.
 */
export function budgetAccountKey(apiKey: string): string {
  return createHash('sha256').update('heroku-runbooks api budget\n').update(apiKey).digest('hex');
}

/** The bucket's numbers as the stores use them: its top (the burst less the reserve) and its refill per ms. */
export function bucketShape(settings: ApiBudgetSettings): { top: number; perMs: number } {
  return { top: settings.burst - settings.reserve, perMs: settings.perHour / 3_600_000 };
}

/**
 * How long a request that left the bucket at `level` (just after taking its token) waits: until the refill has
 * brought it back to 0. The refill runs from `updatedMs` on, which is later than now while the bucket holds it
 * (see FIRST_ANSWER_HOLD_MS).
 */
export function waitAfterTaking(level: number, updatedMs: number, nowMs: number, perMs: number): number {
  return level >= 0 ? 0 : Math.ceil(Math.max(0, updatedMs - nowMs) + -level / perMs);
}

/**
 * A full bucket's refill starts when Heroku answers the first request taken from it, or after this long. Heroku's
 * own bucket (full too, or the budget would not be) starts refilling when that request arrives, and a burst of
 * requests can arrive well after it was charged here (a busy worker sends it late, the network is slow): refilling
 * from the charge would give the budget tokens Heroku does not have yet.
 */
export const FIRST_ANSWER_HOLD_MS = 2_000;

export const BUDGET_TABLE = 'runbook_api_budget';
