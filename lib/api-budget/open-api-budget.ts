import { DEFAULT_AUDIT_DB } from '../audit/open-audit-log';
import type { ApiBudget } from './api-budget';
import { PostgresApiBudget } from './postgres-api-budget';
import { apiBudgetSettingsFromEnv, type ApiBudgetSettings } from './settings';
import { SqliteApiBudget } from './sqlite-api-budget';

export type { ApiBudget, Reservation } from './api-budget';
export { apiBudgetSettings, apiBudgetSettingsFromEnv, describeApiBudget, type ApiBudgetSettings } from './settings';

/**
 * The API budget of the account behind `apiKey`, kept where the audit trail is (RUNBOOK_AUDIT_DB): a `postgres://`
 * URL shares it with every worker that reaches that database, on any machine; a SQLite file, with the workers on
 * this machine. Every worker given the same token and the same database spends from one budget.
 */
export function openApiBudget(
  apiKey: string,
  settings: ApiBudgetSettings = apiBudgetSettingsFromEnv(),
  location = process.env.RUNBOOK_AUDIT_DB || DEFAULT_AUDIT_DB,
): ApiBudget {
  if (/^postgres(ql)?:\/\//.test(location)) return new PostgresApiBudget(location, apiKey, settings);
  return new SqliteApiBudget(location, apiKey, settings);
}
