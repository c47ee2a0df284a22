import { formatPlan, type DisasterRecoveryResult } from '../common/disaster-recovery';
import type { RunbookOutcome } from './launch';

interface Summarised {
  summary?: unknown;
}

/** How a finished run reads on a terminal: what happened, then where to look at it. */
export function formatOutcome(name: string, outcome: RunbookOutcome<unknown>, link: string): string {
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
    `  Run: ${link}`,
  ].join('\n');
}
