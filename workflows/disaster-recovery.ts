import { ApplicationFailure, isCancellation, setHandler, workflowInfo } from '@temporalio/workflow';
import { describeSchedule, formatBytes } from '../common/backups';
import type {
  ApprovalDecision,
  DisasterRecoveryPlan,
  DisasterRecoveryResult,
  HashedPlan,
  RecoveryCheckpoint,
} from '../common/disaster-recovery';
import { formatPlan } from '../common/disaster-recovery';
import { describeDuration } from '../common/durations';
import type { ResolvedTarget } from '../common/environments';
import { FailureTypes, rootMessage } from '../common/errors';
import { describeFormation } from '../common/formation';
import type { DisasterRecoveryInput } from '../common/inputs';
import { checkpointQuery } from '../common/messages';
import { RECOVERY_STEPS } from '../common/recovery-steps';
import { describeSent } from '../common/redact';
import { reads } from './activities';
import type { ApprovalGate } from './approval';
import { RecoveryExecution } from './recovery-execution';
import { resolveTargetStep, runbook, type CheckedInput, type RunbookRun } from './runbook';

type PlanRequest = Parameters<typeof reads.planDisasterRecovery>[0];

/**
 * Restores an app's database from a backup, as the runbook's disaster-recovery procedure: with the site in
 * maintenance and background jobs quiet, a safety backup first, the backup schedule re-created, caches and queues
 * cleared, the search index rebuilt and the site back up — after a second person approved the plan — and, if
 * anything fails, the app left in a stated, safe state. The steps are the table in common/recovery-steps.ts: the
 * plan is made from it, and execution walks the approved plan.
 */
export async function disasterRecovery(input: DisasterRecoveryInput): Promise<DisasterRecoveryResult> {
  return runbook('disaster-recovery', input, async (run, parsed) => {
    run.declare(RECOVERY_STEPS.map(({ name, title }) => ({ name, title })));
    let checkpoint: RecoveryCheckpoint | null = null;
    let execution: RecoveryExecution | null = null;
    setHandler(checkpointQuery, () => execution?.checkpoint ?? checkpoint, {
      description: 'What this run recorded and completed, for `runbook retry`',
    });
    const gate = run.approvals;
    gate.expect();
    const dryRun = parsed.dryRun ?? false;

    const target = await resolveTargetStep(run, parsed, { lock: !dryRun });
    if (dryRun) run.skip('lock', 'dry run: reads only');
    if (dryRun) gate.notRequired();

    const earlier = parsed.resumeFrom ? await readEarlierRun(run, target, parsed.resumeFrom) : null;
    if (!earlier) run.skip('resume', 'a new recovery');
    const planRequest: PlanRequest = {
      target,
      requester: run.operator,
      backup: parsed.backup,
      attachment: parsed.database,
      safetyBackup: parsed.safetyBackup,
      migrate: parsed.migrate,
      checkpoint: earlier,
    };

    let hashed = await preflight(run, planRequest);
    checkpoint = firstCheckpoint(target, hashed, earlier);
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
      for (const { name } of RECOVERY_STEPS)
        if (run.progress().steps.find((s) => s.name === name)?.status === 'pending') run.skip(name, 'dry run');
      return result(run, target, hashed, null, null, true);
    }

    const approval = await approve(run, target, gate, hashed, parsed, planRequest);
    hashed = approval.hashed;

    execution = new RecoveryExecution(run, target, hashed.plan, checkpoint, parsed.timing);
    try {
      await execution.execute();
    } catch (err) {
      const left = await execution.compensate(err);
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

/** Live reads of the app, its database and the backup: the plan (and its hash) comes from them. */
function preflight(run: RunbookRun, planRequest: PlanRequest): Promise<HashedPlan> {
  return run.step('preflight', async (step) => {
    const planned = await reads.planDisasterRecovery(planRequest);
    const { plan } = planned;
    step.detail(
      `${plan.backup.name} (${formatBytes(plan.backup.sizeBytes)}) usable; formation ${describeFormation(plan.formation)}; schedule ${plan.schedule ? describeSchedule(plan.schedule) : 'none'}`,
    );
    return planned;
  });
}

/** What a retry needs should this run stop: the state before anything changed, and what is already done. */
function firstCheckpoint(
  target: ResolvedTarget,
  { plan }: HashedPlan,
  earlier: RecoveryCheckpoint | null,
): RecoveryCheckpoint {
  const doneEarlier = plan.resumedFrom?.done ?? [];
  return {
    workflowId: workflowInfo().workflowId,
    runId: workflowInfo().runId,
    app: target.app,
    backup: plan.backup.name,
    formation: plan.formation,
    schedule: plan.schedule,
    maintenanceOnBefore: plan.maintenance.onBefore,
    safetyBackup: earlier?.safetyBackup && doneEarlier.includes('safety-backup') ? earlier.safetyBackup : null,
    restore: earlier?.restore && doneEarlier.includes('restore') ? earlier.restore : null,
    done: [...doneEarlier],
    failedStep: null,
  };
}

async function readEarlierRun(
  run: RunbookRun,
  target: ResolvedTarget,
  from: { workflowId: string; runId: string },
): Promise<RecoveryCheckpoint> {
  return run.step('resume', async (step) => {
    const earlier = await reads.readRecoveryCheckpoint(from);
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
  input: CheckedInput<'disaster-recovery'>,
  planRequest: PlanRequest,
): Promise<{ hashed: HashedPlan; decision: ApprovalDecision | null }> {
  const settings = target.disasterRecovery;
  const timeoutMinutes = input.approvalTimeoutMinutes ?? settings.approval.timeoutMinutes;
  // A second person where the environment requires one and the plan still replaces data; one more (or one at all)
  // where the requester is unverified and the rules need a verified one.
  const secondPerson = settings.approval.required && planned.plan.destructive;
  const need = run.approvalNeed('disaster-recovery', { timeoutMinutes, secondPerson });
  if (!secondPerson && planned.plan.destructive && input.confirm !== target.app) {
    throw ApplicationFailure.create({
      type: FailureTypes.InvalidRunbookInput,
      nonRetryable: true,
      message: `Restoring replaces ${target.app}'s database: confirm with the app name (--confirm ${target.app}), not ${input.confirm === undefined ? 'nothing' : describeSent(input.confirm, 60)}. Nothing was changed.`,
    });
  }
  if (need.needed === 0) {
    const why = settings.approval.required
      ? 'nothing destructive left to do (the restore is done)'
      : `not required for ${target.environment ?? target.app}; confirmed with the app name`;
    gate.notRequired();
    run.skip('approval', why);
    run.skip('drift-check', 'no approval to check against');
    return { hashed: planned, decision: null };
  }
  let hashed = planned;
  let drift: string | null = null;
  for (;;) {
    const decision = await run.step('approval', async (step) => {
      step.detail(
        `plan ${hashed.hash} waits for ${need.needed === 1 ? 'a verified second person' : `${need.needed} verified people`} (${need.ruleText}; not ${run.operator}) for ${describeDuration(Math.round(timeoutMinutes * 60))}: \`runbook approve ${workflowInfo().workflowId}\``,
      );
      const made = await gate.awaitDecision(
        { hash: hashed.hash, text: formatPlan(hashed.plan, hashed.hash), plan: hashed.plan },
        need,
        drift,
      );
      run.stopIfLockBroken('go on after approval');
      return run.settleDecision(made, timeoutMinutes, step);
    });
    const fresh = await run.step('drift-check', async (step) => {
      const again = await reads.planDisasterRecovery(planRequest);
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
