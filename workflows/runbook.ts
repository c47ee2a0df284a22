import { upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { ResolvedTarget } from '../common/environments';
import { Environment, HerokuApp, Operator, RunbookName, RunbookOutcome } from '../common/search-attributes';

/** What the UI shows when a run was started without saying who started it (the Temporal UI sends no identity). */
export const UNKNOWN_OPERATOR = 'unknown';

export function operatorOf(rawInput: unknown): string {
  const operator = (rawInput as { operator?: unknown } | null)?.operator;
  return typeof operator === 'string' && operator.trim() ? operator.trim() : UNKNOWN_OPERATOR;
}

/**
 * Runs a runbook body with its search attributes kept current, so the Temporal UI's list answers "which runbook,
 * on which app, by whom, and how did it end" — also for runs that failed on their input.
 */
export async function runbook<R>(name: string, rawInput: unknown, body: () => Promise<R>): Promise<R> {
  if (workflowInfo().typedSearchAttributes.get(RunbookName) === undefined) {
    upsertSearchAttributes([
      { key: RunbookName, value: name },
      { key: Operator, value: operatorOf(rawInput) },
    ]);
  }
  try {
    const result = await body();
    upsertSearchAttributes([{ key: RunbookOutcome, value: 'succeeded' }]);
    return result;
  } catch (err) {
    upsertSearchAttributes([{ key: RunbookOutcome, value: 'failed' }]);
    throw err;
  }
}

/** Records where the run acts, once the target is resolved. */
export function recordTarget(target: ResolvedTarget): void {
  upsertSearchAttributes([
    { key: HerokuApp, value: target.app },
    { key: Environment, value: target.environment ?? 'none' },
  ]);
}
