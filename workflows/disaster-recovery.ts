import { ApplicationFailure, isCancellation, setHandler, workflowInfo } from '@temporalio/workflow';
import { describeSchedule, formatBytes } from '../common/backups';
import {
  DR_STEPS,
  type ApprovalDecision,
  type DisasterRecoveryPlan,
  type DisasterRecoveryResult,
  type HashedPlan,
  type RecoveryCheckpoint,
} from '../common/disaster-recovery';
import type { ResolvedTarget } from '../common/environments';
import { FailureTypes } from '../common/errors';
import { describeFormation } from '../common/formation';
import { DisasterRecoveryInput } from '../common/inputs';
import { parseRunbookInput } from '../common/validation';
import { heroku } from './activities';
import { describeDuration } from './commands';
import { ApprovalGate } from './approval';
import { checkpointQuery } from '../common/messages';
import { compensateFully, RecoveryExecution } from './recovery-execution';
import { resolveTargetStep, rootMessage, runbook, type RunbookRun } from './runbook';

/**
 * Restores an app's database from a backup, as the runbook's disaster-recovery procedure: with the site in
 * maintenance and background jobs quiet, a safety backup first, the backup schedule re-created, caches and queues
 * cleared, the search index rebuilt and the site back up — after a second person approved the plan — and, if
 * anything fails, the app left in a stated, safe state.
 */
export async function disasterRecovery(input: DisasterRecoveryInput): Promise<DisasterRecoveryResult> {
  return runbook('disaster-recovery', input, async (run) => {
    run.declare([...DR_STEPS]);
    let checkpoint: RecoveryCheckpoint | null = null;
    setHandler(checkpointQuery, () => checkpoint, {
      description: 'What this run recorded and completed, for `runbook retry`',
    });
    const gate = new ApprovalGate(run);
    const parsed = parseRunbookInput(run.name, DisasterRecoveryInput, input);
    const dryRun = parsed.dryRun ?? false;

    const target = await resolveTargetStep(run, parsed, { lock: !dryRun });
    if (dryRun) run.skip('lock', 'dry run: reads only');
    const settings = target.disasterRecovery;
    gate.require(settings.approval.required && !dryRun);

    const earlier = parsed.resumeFrom ? await readEarlierRun(run, target, parsed.resumeFrom) : null;
    if (!earlier) run.skip('resume', 'a new recovery');
    const planRequest = {
      target,
      requester: run.operator,
      backup: parsed.backup,
      attachment: parsed.database,
      safetyBackup: parsed.safetyBackup,
      migrate: parsed.migrate,
      checkpoint: earlier,
    };

    let hashed = await run.step('preflight', async (step) => {
      const planned = await heroku.planDisasterRecovery(planRequest);
      const { plan } = planned;
      step.detail(
        `${plan.backup.name} (${formatBytes(plan.backup.sizeBytes)}) usable; formation ${describeFormation(plan.formation)}; schedule ${plan.schedule ? describeSchedule(plan.schedule) : 'none'}`,
      );
      return planned;
    });
    checkpoint = {
      workflowId: workflowInfo().workflowId,
      runId: workflowInfo().runId,
      app: target.app,
      backup: hashed.plan.backup.name,
      formation: hashed.plan.formation,
      schedule: hashed.plan.schedule,
      maintenanceOnBefore: hashed.plan.maintenance.onBefore,
      safetyBackup:
        earlier?.safetyBackup && hashed.plan.resumedFrom?.done.includes('safety-backup') ? earlier.safetyBackup : null,
      restore: earlier?.restore && hashed.plan.resumedFrom?.done.includes('restore') ? earlier.restore : null,
      done: [...(hashed.plan.resumedFrom?.done ?? [])],
      failedStep: null,
    };
    await run.step('plan', async (step) => {
      const changes = hashed.plan.steps.filter((s) => !s.skip && s.change).length;
      step.detail(
        `plan ${hashed.hash}: ${changes} steps change the app, about ${hashed.plan.expectedDowntimeMinutes} minutes of downtime`,
      );
      if (!dryRun)
        await run.audit('approval', `plan ${hashed.hash}: restore ${hashed.plan.backup.name} into ${target.app}`, {
          plan: hashed.plan,
          hash: hashed.hash,
        });
    });

    if (dryRun) {
      for (const { name } of DR_STEPS)
        if (run.progress().steps.find((s) => s.name === name)?.status === 'pending') run.skip(name, 'dry run');
      return result(run, target, hashed, null, null, true);
    }

    const approval = await approve(run, target, gate, hashed, parsed, planRequest);
    hashed = approval.hashed;

    const execution = new RecoveryExecution(run, target, hashed.plan, checkpoint, parsed.timing);
    try {
      await bothSettled([execution.maintenanceOn(), execution.quiet()]);
      await execution.takeSafetyBackup();
      await execution.restoreBackup();
      await execution.recreateSchedule();
      await execution.runMigrations();
      await execution.clearCachesAndQueues();
      await execution.rebuildIndex();
      await execution.scaleBack();
      await execution.maintenanceOff();
      await execution.verify();
    } catch (err) {
      const left = await compensateFully(execution, err);
      if (isCancellation(err)) throw err;
      throw ApplicationFailure.create({
        type: FailureTypes.DisasterRecoveryFailed,
        nonRetryable: true,
        message: `Disaster recovery of ${target.app} failed: ${rootMessage(err)}\n${left.statement}`,
        details: [left],
      });
    }
    return result(run, target, hashed, approval.decision, execution, false);
  });
}

/** Waits for both, like Promise.all, but never leaves one running while the failure of the other is handled. */
async function bothSettled(steps: Promise<void>[]): Promise<void> {
  const settled = await Promise.allSettled(steps);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
}

async function readEarlierRun(
  run: RunbookRun,
  target: ResolvedTarget,
  from: { workflowId: string; runId: string },
): Promise<RecoveryCheckpoint> {
  return run.step('resume', async (step) => {
    const earlier = await heroku.readRecoveryCheckpoint(from);
    if (earlier.app !== target.app) {
      throw ApplicationFailure.create({
        type: FailureTypes.InvalidRunbookInput,
        nonRetryable: true,
        message: `Run ${from.workflowId} recovered ${earlier.app}, not ${target.app}: a retry continues the same app. Nothing was changed.`,
      });
    }
    step.detail(
      `continues ${from.workflowId}: done there: ${earlier.done.join(', ') || 'nothing'}; stopped at ${earlier.failedStep ?? 'unknown'}`,
    );
    return earlier;
  });
}

/**
 * Four eyes: where the environment requires it and the plan still replaces data, a second person approves the
 * plan's hash; just before acting the plan is made again from live reads, and a different hash means asking
 * again. Where no approval is required, the requester confirms with the app's name instead.
 */
async function approve(
  run: RunbookRun,
  target: ResolvedTarget,
  gate: ApprovalGate,
  planned: HashedPlan,
  input: DisasterRecoveryInput,
  planRequest: Parameters<typeof heroku.planDisasterRecovery>[0],
): Promise<{ hashed: HashedPlan; decision: ApprovalDecision | null }> {
  const settings = target.disasterRecovery;
  if (!settings.approval.required || !planned.plan.destructive) {
    if (planned.plan.destructive && input.confirm !== target.app) {
      throw ApplicationFailure.create({
        type: FailureTypes.InvalidRunbookInput,
        nonRetryable: true,
        message: `Restoring replaces ${target.app}'s database: confirm with the app name (--confirm ${target.app}), not ${input.confirm === undefined ? 'nothing' : `"${input.confirm}"`}. Nothing was changed.`,
      });
    }
    const why = settings.approval.required
      ? 'nothing destructive left to do (the restore is done)'
      : `not required for ${target.environment ?? target.app}; confirmed with the app name`;
    run.skip('approval', why);
    run.skip('drift-check', 'no approval to check against');
    return { hashed: planned, decision: null };
  }
  const timeoutMinutes =
    input.timing?.approvalTimeoutSeconds !== undefined
      ? input.timing.approvalTimeoutSeconds / 60
      : (input.approvalTimeoutMinutes ?? settings.approval.timeoutMinutes);
  let hashed = planned;
  let drift: string | null = null;
  for (;;) {
    const decision = await run.step('approval', async (step) => {
      step.detail(
        `plan ${hashed.hash} waits for a second person (not ${run.operator}) for ${describeDuration(Math.round(timeoutMinutes * 60))}: \`runbook approve ${workflowInfo().workflowId}\``,
      );
      const made = await gate.awaitDecision(hashed, timeoutMinutes, drift);
      if (!made) {
        throw ApplicationFailure.create({
          type: FailureTypes.NotApproved,
          nonRetryable: true,
          message: `Not approved within ${describeDuration(Math.round(timeoutMinutes * 60))}: nothing was changed on ${target.app}. Launch again when a second person is available to approve.`,
        });
      }
      await run.audit(
        'approval',
        `plan ${made.planHash} ${made.decision} by ${made.by}${made.reason ? `: ${made.reason}` : ''}`,
        { decision: made },
      );
      if (made.decision === 'rejected') {
        throw ApplicationFailure.create({
          type: FailureTypes.Rejected,
          nonRetryable: true,
          message: `Rejected by ${made.by}: ${made.reason}. Nothing was changed on ${target.app}.`,
        });
      }
      step.detail(`approved by ${made.by}${made.reason ? `: ${made.reason}` : ''} (plan ${made.planHash})`);
      return made;
    });
    const fresh = await run.step('drift-check', async (step) => {
      const again = await heroku.planDisasterRecovery(planRequest);
      step.detail(
        again.hash === hashed.hash
          ? `unchanged (plan ${again.hash})`
          : `changed: ${describeDrift(hashed.plan, again.plan)}`,
      );
      return again;
    });
    if (fresh.hash === hashed.hash) return { hashed, decision };
    drift = `the live state changed after approval (${describeDrift(hashed.plan, fresh.plan)}): approve the new plan ${fresh.hash}`;
    await run.audit('approval', `plan ${hashed.hash} is stale: ${drift}`, {
      previous: hashed.plan,
      plan: fresh.plan,
      hash: fresh.hash,
    });
    hashed = fresh;
    gate.reopen();
  }
}

/** What changed between two plans, for the approver who must look again. */
export function describeDrift(before: DisasterRecoveryPlan, after: DisasterRecoveryPlan): string {
  const changes: string[] = [];
  if (before.backup.name !== after.backup.name) changes.push(`backup ${before.backup.name} → ${after.backup.name}`);
  if (before.newestBackup !== after.newestBackup)
    changes.push(`newest backup ${before.newestBackup ?? 'none'} → ${after.newestBackup ?? 'none'}`);
  const formation = (plan: DisasterRecoveryPlan) => describeFormation(plan.formation);
  if (formation(before) !== formation(after)) changes.push(`formation ${formation(before)} → ${formation(after)}`);
  if (JSON.stringify(before.schedule) !== JSON.stringify(after.schedule)) changes.push('backup schedule');
  if (before.maintenance.onBefore !== after.maintenance.onBefore)
    changes.push(
      `maintenance was ${before.maintenance.onBefore ? 'on' : 'off'}, now ${after.maintenance.onBefore ? 'on' : 'off'}`,
    );
  if (before.database.addonName !== after.database.addonName)
    changes.push(`database ${before.database.addonName} → ${after.database.addonName}`);
  return changes.join(', ') || 'details of the plan';
}

function result(
  run: RunbookRun,
  target: ResolvedTarget,
  hashed: HashedPlan,
  approval: ApprovalDecision | null,
  execution: RecoveryExecution | null,
  dryRun: boolean,
): DisasterRecoveryResult {
  const { plan, hash } = hashed;
  const where = target.environment ? `${target.app} (${target.environment})` : target.app;
  const summary = dryRun
    ? `Dry run, nothing changed. Plan ${hash} for ${where}: restore ${plan.backup.name} into ${plan.database.attachment}_URL, about ${plan.expectedDowntimeMinutes} minutes of downtime.`
    : [
        `Restored ${plan.backup.name} into ${where}'s ${plan.database.attachment}_URL (${execution?.restored?.name ?? 'restore'}).`,
        execution?.safetyBackup ? `Safety backup ${execution.safetyBackup.name} taken first.` : '',
        plan.schedule ? `Backups scheduled ${describeSchedule(plan.schedule)} again.` : '',
        `Search index rebuilt; processes as before (${describeFormation(plan.formation)}); maintenance ${plan.maintenance.onBefore ? 'still on (as before)' : 'off'}.`,
        approval ? `Approved by ${approval.by}.` : '',
      ]
        .filter(Boolean)
        .join(' ');
  return {
    runbook: 'disaster-recovery',
    app: target.app,
    environment: target.environment,
    dryRun,
    plan,
    planHash: hash,
    approval,
    safetyBackup: execution?.safetyBackup ?? null,
    restore: execution?.restored ?? null,
    operator: run.operator,
    summary,
  };
}
