import { formatPlan, type DisasterRecoveryResult } from '../common/disaster-recovery';
import type { RunbookOutcome } from './launch';

interface Summarised {
  summary?: unknown;
}

/**
 * How a finished run reads on a terminal: what happened, then where to look at it. A run that failed or was
 * cancelled after changing the app also says how it left it (`leftState`, from its progress), as `runbook status`
 * does, unless its failure message says so already.
 */
export function formatOutcome(
  name: string,
  outcome: RunbookOutcome<unknown>,
  link: string,
  leftState?: string | null,
): string {
  if (outcome.status === 'succeeded') {
    const summary = (outcome.result as Summarised | null)?.summary;
    // A dry run's point is its plan: every step, what it would change, and the hash an approver would approve.
    const dryRun = outcome.result as Partial<DisasterRecoveryResult> | null;
    const plan =
      dryRun?.dryRun && dryRun.plan && dryRun.planHash ? formatPlan(dryRun.plan, dryRun.planHash) : undefined;
    return [`✔ ${name} succeeded`, typeof summary === 'string' ? `  ${summary}` : undefined, plan, `  Run: ${link}`]
      .filter(Boolean)
      .join('\n');
  }
  return [
    `✘ ${name} failed${outcome.error.type ? ` (${outcome.error.type})` : ''}`,
    `  ${outcome.error.message}`,
    leftState && !outcome.error.message.includes(leftState) ? `  ${leftState}` : undefined,
    `  Run: ${link}`,
  ]
    .filter(Boolean)
    .join('\n');
}
