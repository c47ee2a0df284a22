import { CancellationScope, isCancellation, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { AuditEvent } from '../common/audit';
import type { ResolvedTarget } from '../common/environments';
import { Environment, HerokuApp, Operator, RunbookName, RunbookOutcome } from '../common/search-attributes';
import { records } from './activities';

/** What the UI shows when a run was started without saying who started it (the Temporal UI sends no identity). */
export const UNKNOWN_OPERATOR = 'unknown';

export function operatorOf(rawInput: unknown): string {
  const operator = (rawInput as { operator?: unknown } | null)?.operator;
  return typeof operator === 'string' && operator.trim() ? operator.trim() : UNKNOWN_OPERATOR;
}

/** One run of a runbook: who runs it, on what, and its audit trail. */
export class RunbookRun {
  private seq = 0;
  private target: ResolvedTarget | null = null;

  constructor(
    readonly name: string,
    readonly operator: string,
  ) {}

  /** Records where the run acts, once the target is resolved: in the UI's list and in the audit trail. */
  setTarget(target: ResolvedTarget): void {
    this.target = target;
    upsertSearchAttributes([
      { key: HerokuApp, value: target.app },
      { key: Environment, value: target.environment ?? 'none' },
    ]);
  }

  /** Appends to the run's audit trail (idempotent per run and position, so a retried write is not doubled). */
  async audit(event: AuditEvent, summary: string, details: Record<string, unknown> = {}): Promise<void> {
    const { workflowId, runId } = workflowInfo();
    await records.recordAudit({
      workflowId,
      runId,
      seq: this.seq++,
      runbook: this.name,
      event,
      operator: this.operator,
      app: this.target?.app ?? null,
      environment: this.target?.environment ?? null,
      summary,
      details,
    });
  }
}

/**
 * Runs a runbook body with its search attributes kept current — so the Temporal UI's list answers "which runbook,
 * on which app, by whom, and how did it end" — and its audit trail written from start to end, also for runs that
 * failed on their input or were cancelled.
 */
export async function runbook<R extends { summary: string }>(
  name: string,
  rawInput: unknown,
  body: (run: RunbookRun) => Promise<R>,
): Promise<R> {
  const run = new RunbookRun(name, operatorOf(rawInput));
  if (workflowInfo().typedSearchAttributes.get(RunbookName) === undefined) {
    upsertSearchAttributes([
      { key: RunbookName, value: name },
      { key: Operator, value: run.operator },
    ]);
  }
  await run.audit('started', `${name} started by ${run.operator}`, { input: rawInput ?? null });
  try {
    const result = await body(run);
    upsertSearchAttributes([{ key: RunbookOutcome, value: 'succeeded' }]);
    await run.audit('succeeded', result.summary);
    return result;
  } catch (err) {
    const cancelled = isCancellation(err);
    upsertSearchAttributes([{ key: RunbookOutcome, value: cancelled ? 'cancelled' : 'failed' }]);
    // Written even when the run was cancelled: the trail must say how every run ended.
    await CancellationScope.nonCancellable(() =>
      run.audit('failed', cancelled ? `${name} was cancelled` : rootMessage(err), { cancelled }),
    );
    throw err;
  }
}

/** The message of the failure at the bottom of the chain: the one that says what went wrong. */
function rootMessage(err: unknown): string {
  let current = err as { message?: string; cause?: unknown } | undefined;
  while (current?.cause) current = current.cause as typeof current;
  return current?.message ?? String(err);
}
