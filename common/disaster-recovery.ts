import { describeSchedule, formatBytes, type TransferSummary } from './backups';
import { describeFormation, type ProcessFormation } from './formation';
import type { MaintenanceStrategy } from './environments';

// The disaster-recovery runbook's plan, approval, checkpoint and result: shared by the workflow (which makes
// them), the activities (which compute the plan and its hash) and the CLI (which shows them).

/** One step of the plan (common/recovery-steps.ts), and what it will change ("worker 2 → 0"), or why it will not run. */
export interface PlannedStep {
  name: string;
  title: string;
  /** Steps of one stage run side by side; stages run in order. */
  stage: number;
  /** What this step will change, in one line; null when it changes nothing. */
  change: string | null;
  /** Not run: "disabled for staging", "done in run …, verified". */
  skip: string | null;
}

export interface PlannedSchedule {
  hour: number;
  timezone: string;
  /** Where it comes from: the schedule the app had at preflight, or the environment's configured one. */
  source: 'recorded' | 'configured';
}

/**
 * Everything the runbook will do, computed from live reads. Its hash is what an approver approves: the runbook
 * recomputes the plan just before acting and stops if the hash changed.
 */
export interface DisasterRecoveryPlan {
  app: string;
  environment: string | null;
  requester: string;
  database: { attachment: string; addonName: string; plan: string };
  backup: { name: string; sizeBytes: number | null; finishedAt: string | null };
  /** The newest successful backup at planning time: a newer one appearing is drift. */
  newestBackup: string | null;
  /** The formation before the run: what the processes are scaled back to. */
  formation: ProcessFormation[];
  /** The process types quieted (scaled to 0) during the restore; only those the app runs. */
  quiet: string[];
  maintenance: { strategy: MaintenanceStrategy; onBefore: boolean };
  schedule: PlannedSchedule | null;
  safetyBackup: boolean;
  migrations: string | null;
  clearCommands: string[];
  indexCommand: string;
  /** Set when this run continues an earlier one: the steps already done there (and verified now). */
  resumedFrom: { workflowId: string; runId: string; done: string[] } | null;
  steps: PlannedStep[];
  /** Whether it replaces or captures data: such a plan needs approval where the environment requires it. */
  destructive: boolean;
  /** A rough estimate of the maintenance window, from the backup's size and the commands to run. */
  expectedDowntimeMinutes: number;
}

export interface HashedPlan {
  plan: DisasterRecoveryPlan;
  /** sha256 of the plan's canonical JSON, first 16 hex digits. */
  hash: string;
}

/**
 * An approval. `proof` is what counts: an identity proof the CLI sealed for this run and plan hash (common/identity.ts);
 * `approver` is only a claim, recorded when the proof is missing or refused.
 */
export interface ApproveRequest {
  approver?: string;
  planHash: string;
  reason?: string;
  proof?: string;
}

export interface RejectRequest {
  approver?: string;
  reason: string;
  proof?: string;
}

/** A cancellation on the record: who asks (proven), and why. The CLI sends it, then cancels the run. */
export interface CancelRequest {
  reason?: string;
  proof?: string;
  approver?: string;
}

export interface ApprovalDecision {
  decision: 'approved' | 'rejected';
  /** The verified email(s) of who decided: "bob@csis.example", or two joined with " and ". */
  by: string;
  reason: string | null;
  planHash: string;
  /** Workflow time, ISO 8601. */
  at: string;
  /** Approvals still needed after this one (0: the plan is approved). */
  remaining?: number;
}

/** One verified approval of a plan that needs several. */
export interface GivenApproval {
  by: string;
  reason: string | null;
  at: string;
}

/** What the `approval` query answers: is the run waiting, for what plan, since when, and until when. */
export interface ApprovalState {
  status: 'not-required' | 'planning' | 'waiting' | 'approved' | 'rejected' | 'timed-out';
  /** The requester, verified ("alice@csis.example") or not ("unverified (claims: alice)"). */
  requester: string;
  requesterVerified: boolean;
  required: boolean;
  /** The disaster-recovery plan; null for a step runbook, whose plan is `planText` alone. */
  plan: DisasterRecoveryPlan | null;
  /** The plan as the approver reads it (the CLI prints it). */
  planText: string | null;
  planHash: string | null;
  /** How many distinct verified people must approve, who may, and who has so far. */
  needed: number;
  approvers: string | null;
  approvals: GivenApproval[];
  waitingSince: string | null;
  expiresAt: string | null;
  decision: ApprovalDecision | null;
  /** Approvals refused (self-approval, stale hash, no proof), most recent last: Signals cannot be refused to the sender. */
  refused: { by: string; why: string; at: string }[];
  /** Set when the plan changed after an approval and must be approved again. */
  drift: string | null;
}

/**
 * What a run has done, for a later run to continue from (`runbook retry`): the state recorded before anything
 * changed (it is gone after a restore) and the destructive steps that completed.
 */
export interface RecoveryCheckpoint {
  workflowId: string;
  runId: string;
  app: string;
  backup: string;
  formation: ProcessFormation[] | null;
  schedule: PlannedSchedule | null;
  maintenanceOnBefore: boolean | null;
  safetyBackup: TransferSummary | null;
  restore: TransferSummary | null;
  /** Step names that completed. */
  done: string[];
  failedStep: string | null;
}

/** How the app was left, in words and for machines: what the result, the CLI and the audit trail say. */
export interface AppLeftState {
  maintenance: 'on' | 'off' | 'unknown';
  processes: 'as before' | 'quiet' | 'unknown';
  database: 'restored' | 'untouched' | 'may be inconsistent';
  /** The plain statement, ending with the next manual step. */
  statement: string;
  next: string | null;
}

export interface DisasterRecoveryResult {
  runbook: 'disaster-recovery';
  app: string;
  environment: string | null;
  dryRun: boolean;
  plan: DisasterRecoveryPlan;
  planHash: string;
  approval: ApprovalDecision | null;
  safetyBackup: TransferSummary | null;
  restore: TransferSummary | null;
  operator: string;
  summary: string;
}

/** "9 minutes ago", from two ISO times. */
export function describeAge(from: string | null, now: Date): string {
  if (!from) return 'age unknown';
  const minutes = Math.max(0, Math.round((now.getTime() - Date.parse(from)) / 60_000));
  if (minutes < 90) return `${minutes} minute${minutes === 1 ? '' : 's'} old`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} hours old`;
  return `${Math.round(hours / 24)} days old`;
}

/** The plan as an approver reads it: what goes where, what changes, how long the site is down. */
export function formatPlan(plan: DisasterRecoveryPlan, hash: string, now = new Date()): string {
  const where = plan.environment ? `${plan.app} (${plan.environment})` : plan.app;
  const lines = [
    `Disaster recovery of ${where}, requested by ${plan.requester}`,
    `  Restore ${plan.backup.name} (${formatBytes(plan.backup.sizeBytes)}, finished ${plan.backup.finishedAt ?? '?'}, ${describeAge(plan.backup.finishedAt, now)})` +
      ` into ${plan.database.attachment}_URL (${plan.database.addonName}, ${plan.database.plan})`,
  ];
  if (plan.newestBackup && plan.newestBackup !== plan.backup.name) {
    lines.push(`  Note: a newer backup exists: ${plan.newestBackup}`);
  }
  lines.push(`  Formation now: ${describeFormation(plan.formation) || '(no processes)'}`);
  lines.push(
    `  Schedule to re-create: ${plan.schedule ? `${describeSchedule(plan.schedule)} (${plan.schedule.source})` : 'none'}`,
  );
  if (plan.resumedFrom)
    lines.push(
      `  Continues ${plan.resumedFrom.workflowId} (done there: ${plan.resumedFrom.done.join(', ') || 'nothing'})`,
    );
  lines.push(`  Expected downtime: about ${plan.expectedDowntimeMinutes} minutes (maintenance on → off)`);
  lines.push('  Steps:');
  for (const step of plan.steps) {
    lines.push(`    - ${step.title}: ${step.skip ? `skipped (${step.skip})` : (step.change ?? 'no change')}`);
  }
  lines.push(`  Plan hash: ${hash}`);
  return lines.join('\n');
}
