import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/client';
import {
  findSchedule,
  newestBackup,
  type BackupSchedule,
  type DatabaseRef,
  type TransferSummary,
} from '../common/backups';
import {
  type DisasterRecoveryPlan,
  type HashedPlan,
  type PlannedSchedule,
  type RecoveryCheckpoint,
} from '../common/disaster-recovery';
import type { ResolvedTarget } from '../common/environments';
import { FailureTypes } from '../common/errors';
import type { ProcessFormation } from '../common/formation';
import { parseScheduleTime, type RunReference } from '../common/inputs';
import { isInMaintenance, type MaintenanceState } from '../common/maintenance';
import { checkpointQuery } from '../common/messages';
import { planSteps } from '../common/recovery-steps';

/** What planning reads, as the other activity groups provide it. */
export interface PlanningReads {
  resolveDatabase(request: { app: string; attachment?: string }): Promise<DatabaseRef>;
  checkBackup(request: { app: string; backup: string }): Promise<TransferSummary>;
  listTransfers(request: { app: string }): Promise<TransferSummary[]>;
  readBackupSchedules(request: { database: DatabaseRef }): Promise<BackupSchedule[]>;
  readFormation(request: { app: string }): Promise<ProcessFormation[]>;
  readMaintenanceState(request: { app: string; settings: ResolvedTarget['maintenance'] }): Promise<MaintenanceState>;
}

export interface PlanRequest {
  target: ResolvedTarget;
  requester: string;
  backup: string;
  attachment?: string;
  safetyBackup?: boolean;
  migrate?: boolean;
  /** What an earlier run did, when this one continues it. */
  checkpoint: RecoveryCheckpoint | null;
}

/** Heroku's observed restore pace is ~1.4 MB/s (b016, 9.59 MB, 7 s); estimates assume 1 MB/s and a minute's start. */
const BYTES_PER_SECOND = 1024 * 1024;
const TRANSFER_OVERHEAD_SECONDS = 60;
const COMMAND_SECONDS = 120;
const SWITCH_SECONDS = 60;

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

export function hashPlan(plan: DisasterRecoveryPlan): string {
  return createHash('sha256').update(canonical(plan)).digest('hex').slice(0, 16);
}

/** The disaster-recovery plan from live reads (and an earlier run's checkpoint), with its hash. */
export function disasterRecoveryActivities(reads: PlanningReads) {
  return {
    /** A step runbook's plan hash (its text's sha256, as the disaster-recovery plan's): made here, kept in history. */
    async hashPlanText({ text }: { text: string }): Promise<string> {
      return createHash('sha256').update(text).digest('hex').slice(0, 16);
    },

    async planDisasterRecovery(request: PlanRequest): Promise<HashedPlan> {
      const { target, checkpoint } = request;
      const settings = target.disasterRecovery;
      const database = await reads.resolveDatabase({ app: target.app, attachment: request.attachment });
      // A continued run restores what the first one planned, never "latest" again (that may be its safety backup).
      const backup = await reads.checkBackup({ app: database.appName, backup: checkpoint?.backup ?? request.backup });
      const transfers = await reads.listTransfers({ app: database.appName });
      const newest = newestBackup(transfers);
      const formation = checkpoint?.formation ?? (await reads.readFormation({ app: target.app }));
      const maintenanceOnBefore =
        checkpoint?.maintenanceOnBefore ??
        isInMaintenance(await reads.readMaintenanceState({ app: target.app, settings: target.maintenance }));
      const scheduleName = `${database.attachment}_URL`;
      let schedule: PlannedSchedule | null = checkpoint?.schedule ?? null;
      if (!checkpoint) {
        const live = findSchedule(await reads.readBackupSchedules({ database }), database.attachment);
        const configured = target.backups.schedule ? parseScheduleTime(target.backups.schedule) : null;
        schedule = live
          ? { hour: live.hour, timezone: live.timezone, source: 'recorded' }
          : configured
            ? { ...configured, source: 'configured' }
            : null;
      }

      const done = checkpoint ? verifiedDone(checkpoint, transfers, backup.name) : [];
      const quiet = settings.quietProcesses.filter((type) => formation.some((p) => p.type === type && p.quantity > 0));
      const safetyBackup = request.safetyBackup ?? settings.safetyBackup;
      const migrate = request.migrate ?? settings.runMigrations;
      const pendingCommands = [
        ...(migrate && !done.includes('migrations') ? [settings.migrationCommand] : []),
        ...(done.includes('clear') ? [] : settings.clearCommands),
        ...(done.includes('index') ? [] : [settings.indexCommand]),
      ];
      const restorePending = !done.includes('restore');
      const strategy = target.maintenance.strategy;
      const steps = planSteps({
        strategy,
        settings,
        databaseVar: scheduleName,
        addonName: database.addonName,
        backup: backup.name,
        maintenanceOnBefore,
        formation,
        quiet,
        safetyBackup,
        migrate,
        schedule,
        done,
        resumedFrom: checkpoint
          ? {
              workflowId: checkpoint.workflowId,
              safetyBackup: checkpoint.safetyBackup?.name ?? null,
              restore: checkpoint.restore?.name ?? null,
            }
          : null,
      });

      const transfersSeconds =
        (restorePending ? TRANSFER_OVERHEAD_SECONDS + (backup.processedBytes ?? 0) / BYTES_PER_SECOND : 0) +
        (safetyBackup && !done.includes('safety-backup')
          ? TRANSFER_OVERHEAD_SECONDS + (backup.processedBytes ?? 0) / BYTES_PER_SECOND
          : 0);
      const plan: DisasterRecoveryPlan = {
        app: target.app,
        environment: target.environment,
        requester: request.requester,
        database: { attachment: database.attachment, addonName: database.addonName, plan: database.plan },
        backup: { name: backup.name, sizeBytes: backup.processedBytes, finishedAt: backup.finishedAt },
        newestBackup: newest?.name ?? null,
        formation,
        quiet,
        maintenance: { strategy, onBefore: maintenanceOnBefore },
        schedule,
        safetyBackup,
        migrations: migrate ? settings.migrationCommand : null,
        clearCommands: settings.clearCommands,
        indexCommand: settings.indexCommand,
        resumedFrom: checkpoint ? { workflowId: checkpoint.workflowId, runId: checkpoint.runId, done } : null,
        steps,
        destructive: restorePending || (migrate && !done.includes('migrations')),
        expectedDowntimeMinutes: Math.ceil(
          (2 * SWITCH_SECONDS + transfersSeconds + pendingCommands.length * COMMAND_SECONDS) / 60,
        ),
      };
      return { plan, hash: hashPlan(plan) };
    },

    /**
     * What an earlier disaster-recovery run recorded and completed (its `checkpoint` query, answered from its
     * history even after it closed). Refuses a run that is still going or that succeeded.
     */
    async readRecoveryCheckpoint({ workflowId, runId }: RunReference): Promise<RecoveryCheckpoint> {
      const handle = Context.current().client.workflow.getHandle(workflowId, runId);
      let status: string;
      try {
        status = (await handle.describe()).status.name;
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) {
          throw ApplicationFailure.create({
            type: FailureTypes.InvalidRunbookInput,
            nonRetryable: true,
            message: `No run ${workflowId} (${runId}) to continue: it does not exist or is past Temporal's retention. Start a new disaster recovery instead.`,
          });
        }
        throw err;
      }
      if (status === 'RUNNING' || status === 'COMPLETED') {
        throw ApplicationFailure.create({
          type: FailureTypes.InvalidRunbookInput,
          nonRetryable: true,
          message: `Run ${workflowId} ${status === 'RUNNING' ? 'is still running' : 'succeeded'}: there is nothing to continue.`,
        });
      }
      const checkpoint = await handle.query(checkpointQuery);
      if (!checkpoint) {
        throw ApplicationFailure.create({
          type: FailureTypes.InvalidRunbookInput,
          nonRetryable: true,
          message: `Run ${workflowId} stopped before it recorded anything (before its preflight): start a new disaster recovery instead.`,
        });
      }
      return checkpoint;
    },
  };
}

/**
 * The earlier run's completed steps that still hold: a backup or restore counts only if Heroku still lists it as
 * succeeded (and the restore was of the planned backup); the steps after a restore count only if it does.
 */
function verifiedDone(checkpoint: RecoveryCheckpoint, transfers: TransferSummary[], backup: string): string[] {
  const succeeded = (summary: TransferSummary | null) =>
    summary !== null && transfers.some((t) => t.uuid === summary.uuid && t.status === 'succeeded');
  const done: string[] = [];
  if (checkpoint.done.includes('safety-backup') && succeeded(checkpoint.safetyBackup)) done.push('safety-backup');
  const restored = checkpoint.done.includes('restore') && succeeded(checkpoint.restore) && checkpoint.backup === backup;
  if (restored) {
    done.push('restore');
    for (const step of ['migrations', 'clear', 'index']) if (checkpoint.done.includes(step)) done.push(step);
  }
  return done;
}
