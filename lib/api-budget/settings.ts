/** Heroku's limit per account (reference §2.6): a pool of 4500 request tokens, refilled at 75 a minute. */
export const HEROKU_REQUESTS_PER_HOUR = 4500;

/** What the workers sharing one Heroku token may spend, together. */
export interface ApiBudgetSettings {
  /** Requests per hour: the rate the budget refills at (RUNBOOK_HEROKU_BUDGET_PER_HOUR). */
  perHour: number;
  /** The most requests that may go at once after a quiet spell: the pool's size (RUNBOOK_HEROKU_BUDGET_BURST). */
  burst: number;
  /**
   * Requests of Heroku's count the workers leave unspent (RUNBOOK_HEROKU_BUDGET_RESERVE): a person's `heroku` CLI on
   * the same account still works while the runbooks are busy, and a request sent just before Heroku counts one it
   * received a moment earlier (the budget charges a request when it leaves, Heroku when it arrives) does not get 429.
   */
  reserve: number;
}

/**
 * The settings, defaults filled in: Heroku's own limit, a burst of one hour's worth (as Heroku's pool), and a reserve
 * of 2 % of the burst, at least one (90 of 4500). Refuses what cannot work, saying which variable to fix.
 */
export function apiBudgetSettings(given: Partial<ApiBudgetSettings> = {}): ApiBudgetSettings {
  const perHour = given.perHour ?? HEROKU_REQUESTS_PER_HOUR;
  const burst = given.burst ?? perHour;
  const reserve = given.reserve ?? Math.max(1, Math.ceil(burst * 0.02));
  if (!(Number.isFinite(perHour) && perHour > 0))
    throw new Error(`RUNBOOK_HEROKU_BUDGET_PER_HOUR must be a positive number of requests, got ${perHour}`);
  if (!(Number.isInteger(burst) && burst >= 1))
    throw new Error(`RUNBOOK_HEROKU_BUDGET_BURST must be a whole number of requests (1 or more), got ${burst}`);
  if (!(Number.isInteger(reserve) && reserve >= 0 && reserve < burst))
    throw new Error(
      `RUNBOOK_HEROKU_BUDGET_RESERVE must be a whole number of requests below the burst (${burst}), got ${reserve}: the workers could never send a request`,
    );
  return { perHour, burst, reserve };
}

/** The settings from RUNBOOK_HEROKU_BUDGET_PER_HOUR, _BURST and _RESERVE (unset: the defaults). */
export function apiBudgetSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): ApiBudgetSettings {
  const number = (suffix: string): number | undefined => {
    const name = `RUNBOOK_HEROKU_BUDGET_${suffix}`;
    const value = env[name]?.trim();
    if (!value) return undefined;
    const parsed = Number(value);
    if (!Number.isFinite(parsed)) throw new Error(`${name} must be a number of requests, got "${value}"`);
    return parsed;
  };
  return apiBudgetSettings({ perHour: number('PER_HOUR'), burst: number('BURST'), reserve: number('RESERVE') });
}

/** For the worker's start-up line: "4500 requests/h (burst 4500, 90 left for people)". */
export function describeApiBudget(settings: ApiBudgetSettings): string {
  return `${settings.perHour} requests/h (burst ${settings.burst}, ${settings.reserve} left for people)`;
}
