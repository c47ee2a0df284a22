import { ApplicationFailure, CancellationScope, isCancellation } from '@temporalio/workflow';
import {
  describeSchedule,
  findSchedule,
  transferDeadlineSeconds,
  type DatabaseRef,
  type TransferSummary,
} from '../common/backups';
import type { AppLeftState, DisasterRecoveryPlan, PlannedStep, RecoveryCheckpoint } from '../common/disaster-recovery';
import type { ResolvedTarget } from '../common/environments';
import { FailureTypes, rootMessage } from '../common/errors';
import { describeFormation, type ProcessFormation } from '../common/formation';
import { isInMaintenance } from '../common/maintenance';
import type { StepHandle } from '../common/progress';
import {
  decideCompensation,
  describeLeftState,
  restoreToStop,
  type CompensationFacts,
  type CompensationOutcomes,
  type RestoreFact,
} from '../common/recovery-compensation';
import { reads, type WatchTiming } from './activities';
import { cancelOwnTransfer, captureOnce, restoreOnce, setSchedule, waitForTransfer } from './backups';
import { runDetached } from './commands';
import type { RunbookRun } from './runbook';

export interface ExecutionTiming extends WatchTiming {
  commandTimeoutSeconds?: number;
}

/**
 * The changing part of a disaster recovery: it walks the APPROVED plan's steps in order (steps of one stage side by
 * side), runs each one the plan does not skip, and keeps what a compensation and a later retry need to know — what
 * was touched, and which steps completed (the checkpoint, which this class owns and the `checkpoint` query serves).
 */
export class RecoveryExecution {
  private database: DatabaseRef | null = null;
  private maintenanceTouched = false;
  private quietTouched = false;
  /** The restore as last seen; `restoreAsked` from the moment it was asked for (the answer may be lost). */
  private restoreAsked = false;
  private migrations: CompensationFacts['migrations'] = 'not-run';
  /** Set when the restore's wait ended early and cancelled it on Heroku (the run cancelled, or its deadline). */
  private restoreStopped: CompensationOutcomes['stoppedRestore'] = undefined;
  private readonly state: RecoveryCheckpoint;

  constructor(
    private readonly run: RunbookRun,
    private readonly target: ResolvedTarget,
    private readonly plan: DisasterRecoveryPlan,
    checkpoint: RecoveryCheckpoint,
    private readonly timing: ExecutionTiming = {},
  ) {
    this.state = { ...checkpoint, done: [...checkpoint.done] };
  }

  /** What this run recorded and completed, for `runbook retry` (a copy: the query's answer cannot change it). */
  get checkpoint(): RecoveryCheckpoint {
    return { ...this.state, done: [...this.state.done] };
  }

  get restored(): TransferSummary | null {
    return this.state.restore;
  }

  get safetyBackup(): TransferSummary | null {
    return this.state.safetyBackup;
  }

  /** Runs the plan's steps in order, stage by stage; a skipped step is marked with the plan's reason. */
  async execute(): Promise<void> {
    const stages = new Map<number, PlannedStep[]>();
    this.plan.steps.forEach((step, index) => {
      const stage = step.stage ?? index;
      stages.set(stage, [...(stages.get(stage) ?? []), step]);
    });
    for (const stage of [...stages.keys()].sort((a, b) => a - b)) {
      await allSettledOrThrow(stages.get(stage)!.map((step) => this.runPlanned(step)));
    }
  }

  private async runPlanned(planned: PlannedStep): Promise<void> {
    if (planned.skip) return this.run.skip(planned.name, planned.skip);
    const body = this.bodies[planned.name];
    if (!body) {
      throw ApplicationFailure.create({
        type: FailureTypes.DisasterRecoveryFailed,
        nonRetryable: true,
        message: `The plan names a step this runbook does not know ("${planned.name}"). Nothing more was done.`,
      });
    }
    try {
      await this.run.step(planned.name, body);
      this.state.done.push(planned.name);
    } catch (err) {
      this.state.failedStep ??= planned.name;
      throw err;
    }
  }

  // ── The steps, by name: what each one that the plan does not skip does ─────────────────────────────────────

  private readonly bodies: Record<string, (step: StepHandle) => Promise<void>> = {
    'maintenance-on': async (step) => {
      this.maintenanceTouched = true;
      step.detail(await this.switchMaintenance(true));
    },

    quiet: async (step) => {
      this.quietTouched = true;
      const after = await this.run.change(
        'scaleFormation',
        { app: this.target.app, updates: this.plan.quiet.map((type) => ({ type, quantity: 0 })) },
        {
          intent: `quiet ${this.plan.quiet.join(', ')} on ${this.target.app} (scale to 0; was ${describeFormation(this.recorded())})`,
          details: { previous: this.recorded() },
          done: (formation) => ({
            summary: `quieted ${describeFormation(this.quieted(formation))} (was ${describeFormation(this.recorded())})`,
            details: { current: formation, formation: this.quieted(formation) },
          }),
        },
      );
      step.detail(describeFormation(this.quieted(after)));
    },

    'safety-backup': async (step) => {
      const database = await this.db();
      const started = await captureOnce(this.run, database, this.timing);
      this.state.safetyBackup = started;
      this.state.safetyBackup = await waitForTransfer(this.run, {
        app: database.appName,
        started,
        step,
        verb: `capturing ${started.name}`,
        totalBytes: this.plan.backup.sizeBytes,
        deadlineSeconds: transferDeadlineSeconds(this.plan.backup.sizeBytes, this.target.backups.transferDeadline),
        timing: this.timing,
      });
    },

    restore: async (step) => {
      const database = await this.db();
      const backup = this.plan.backup.name;
      this.restoreAsked = true;
      const started = await restoreOnce(this.run, database, backup, this.timing);
      this.state.restore = started;
      this.state.restore = await waitForTransfer(this.run, {
        app: database.appName,
        started,
        step,
        verb: `restoring ${backup}`,
        totalBytes: this.plan.backup.sizeBytes,
        deadlineSeconds: transferDeadlineSeconds(this.plan.backup.sizeBytes, this.target.backups.transferDeadline),
        timing: this.timing,
        onStopped: (transfer, cancelled) => {
          this.state.restore = transfer;
          this.restoreStopped = { cancelled, status: transfer.status, processedBytes: transfer.processedBytes };
        },
      });
    },

    schedule: async (step) => {
      const wanted = this.plan.schedule!;
      const { changed } = await setSchedule(this.run, await this.db(), wanted, null);
      step.detail(`${changed ? 're-created' : 'already in place'}: ${describeSchedule(wanted)}`);
    },

    migrations: async (step) => {
      this.migrations = 'started';
      await this.oneOff(step, this.plan.migrations!, 'migrations');
      this.migrations = 'succeeded';
    },

    clear: async (step) => {
      const commands = this.plan.clearCommands;
      for (const [i, command] of commands.entries()) await this.oneOff(step, command, `clear-${i + 1}`);
      step.detail(`${commands.length} command${commands.length === 1 ? '' : 's'} exited with status 0`);
    },

    index: async (step) => {
      await this.oneOff(step, this.plan.indexCommand, 'index');
    },

    'scale-back': async (step) => {
      step.detail(await this.scaleBack());
    },

    'maintenance-off': async (step) => {
      step.detail(await this.switchMaintenance(false));
    },

    /** Reads back what the run promised: the schedule in place, the formation as before, maintenance as before. */
    verify: async (step) => {
      const problems: string[] = [];
      const database = await this.db();
      if (this.plan.schedule) {
        const { hour, timezone } = this.plan.schedule;
        const schedule = findSchedule(await reads.readBackupSchedules({ database }), database.attachment);
        if (!schedule || schedule.hour !== hour || schedule.timezone !== timezone) {
          problems.push(`no backup schedule ${describeSchedule(this.plan.schedule)} for ${database.attachment}_URL`);
        }
      }
      const formation = await reads.readFormation({ app: this.target.app });
      for (const before of this.plan.formation) {
        const now = formation.find((p) => p.type === before.type);
        if (!now || now.quantity !== before.quantity)
          problems.push(`${before.type} is ${now?.quantity ?? 'missing'}, was ${before.quantity}`);
      }
      const maintenance = await reads.readMaintenanceState({ app: this.target.app, settings: this.target.maintenance });
      const on = isInMaintenance(maintenance);
      if (on !== this.plan.maintenance.onBefore) problems.push(`maintenance is ${on ? 'on' : 'off'}`);
      if (problems.length > 0) {
        throw ApplicationFailure.create({
          type: FailureTypes.VerificationFailed,
          nonRetryable: true,
          message: `After the recovery, ${this.target.app} is not as planned: ${problems.join('; ')}. Check \`heroku ps\`, \`heroku pg:backups:schedules\` and \`heroku config\` for ${this.target.app}.`,
        });
      }
      step.detail(
        `schedule ${this.plan.schedule ? describeSchedule(this.plan.schedule) : 'none (as planned)'}; ${describeFormation(formation)}; maintenance ${on ? 'on' : 'off'}`,
      );
    },
  };

  // ── Compensation ─────────────────────────────────────────────────────────────────────────────────────────

  /**
   * After a failure or a cancellation: the facts → stop a restore still running → the decision (the data-safety
   * policy, common/recovery-compensation.ts) → its actions → the paragraph saying how the app was left, with the
   * next manual step. Runs to its end even when the run is being cancelled.
   */
  async compensate(err: unknown): Promise<AppLeftState> {
    return CancellationScope.nonCancellable(async () => {
      const outcomes: CompensationOutcomes = { stoppedRestore: this.restoreStopped };
      let facts = this.facts(err);
      if (restoreToStop(facts)) {
        outcomes.stoppedRestore = await this.stopRestore();
        facts = this.facts(err);
      }
      const decision = decideCompensation(facts);
      if (decision.scaleBack) {
        outcomes.scaledBack = await this.compensationStep(
          'compensate-scale-back',
          'Compensation: scale processes back',
          () => this.scaleBack(),
        );
      }
      if (decision.maintenanceOff) {
        const asked = this.run.changesAsked;
        const off = await this.compensationStep('compensate-maintenance', 'Compensation: maintenance off', () =>
          this.switchMaintenance(false),
        );
        // Failed before it asked Heroku to change anything (its read was refused): maintenance is as the run's own
        // maintenance-on step left it, on — known, not unknown.
        const stillOn = 'error' in off && this.run.changesAsked === asked && this.state.done.includes('maintenance-on');
        outcomes.maintenanceOff = stillOn ? { ...off, stillOn } : off;
      }
      const left = describeLeftState(facts, decision, outcomes);
      this.run.leave(left.statement);
      await this.run
        .audit('compensation', left.statement, { left, checkpoint: this.checkpoint, decision })
        .catch(() => undefined); // an unwritable trail is what the run's failure then says
      return left;
    });
  }

  private facts(err: unknown): CompensationFacts {
    const restore = this.state.restore;
    const restoreFact: RestoreFact = restore
      ? { state: restore.status === 'pending' ? 'running' : restore.status, name: restore.name }
      : this.restoreAsked
        ? { state: 'asked' }
        : { state: 'not-asked' };
    const notDone = this.run
      .progress()
      .steps.filter(
        (s) =>
          ['schedule', 'migrations', 'clear', 'index'].includes(s.name) &&
          (s.status === 'pending' || s.status === 'failed' || s.status === 'running'),
      )
      .map((s) => s.title.toLowerCase());
    return {
      app: this.target.app,
      workflowId: this.state.workflowId,
      backup: this.plan.backup.name,
      databaseVar: `${this.plan.database.attachment}_URL`,
      cancelled: isCancellation(err),
      failedStep: this.state.failedStep,
      lockBroken: this.run.lockBroken !== null,
      maintenanceOnBefore: this.plan.maintenance.onBefore,
      maintenanceTouched: this.maintenanceTouched,
      quietTouched: this.quietTouched,
      recordedScale: this.recorded()
        .map((p) => `${p.type}=${p.quantity}`)
        .join(' '),
      restore: restoreFact,
      migrations: this.migrations,
      clearConfigured: this.plan.clearCommands.length > 0,
      clearDone: this.state.done.includes('clear'),
      notDone,
    };
  }

  /** Cancels this run's own restore on Heroku, which is safe even when the lock was broken. */
  private async stopRestore(): Promise<CompensationOutcomes['stoppedRestore']> {
    const restore = this.state.restore!;
    try {
      const database = await this.db();
      const { transfer, cancelled } = await cancelOwnTransfer(
        this.run,
        database.appName,
        restore,
        'the recovery stopped',
      );
      this.state.restore = transfer;
      if (transfer.status === 'succeeded') this.state.done.push('restore');
      return { cancelled, status: transfer.status, processedBytes: transfer.processedBytes };
    } catch (cancelError) {
      return { error: rootMessage(cancelError) };
    }
  }

  private async compensationStep(
    name: string,
    title: string,
    body: () => Promise<string>,
  ): Promise<{ done: string } | { error: string }> {
    this.run.declare([{ name, title }]);
    try {
      return {
        done: await this.run.step(name, async (step) => {
          const done = await body();
          step.detail(done);
          return done;
        }),
      };
    } catch (err) {
      return { error: rootMessage(err) };
    }
  }

  // ── Helpers ──────────────────────────────────────────────────────────────────────────────────────────────

  private oneOff(step: StepHandle, command: string, markerStep: string): Promise<unknown> {
    return runDetached(this.run, step, {
      app: this.target.app,
      command,
      markerStep,
      timeoutSeconds: this.timing.commandTimeoutSeconds ?? this.target.disasterRecovery.commandTimeoutMinutes * 60,
      timing: this.timing,
    });
  }

  private async db(): Promise<DatabaseRef> {
    this.database ??= await reads.resolveDatabase({
      app: this.target.app,
      attachment: this.plan.database.attachment,
    });
    return this.database;
  }

  /** The quieted process types as they were before the run. */
  private recorded(): ProcessFormation[] {
    return this.plan.formation.filter((p) => this.plan.quiet.includes(p.type));
  }

  private quieted(formation: ProcessFormation[]): ProcessFormation[] {
    return formation.filter((p) => this.plan.quiet.includes(p.type));
  }

  /** Scales the quieted process types back to their recorded quantities (and sizes). */
  private async scaleBack(): Promise<string> {
    const recorded = this.recorded();
    const after = await this.run.change(
      'scaleFormation',
      { app: this.target.app, updates: recorded.map(({ type, quantity, size }) => ({ type, quantity, size })) },
      {
        intent: `scale ${this.target.app} back to ${describeFormation(recorded)}`,
        details: { restored: recorded },
        done: (formation) => ({
          summary: `scaled back to ${describeFormation(this.quieted(formation))}`,
          details: { formation: this.quieted(formation) },
        }),
      },
    );
    return describeFormation(this.quieted(after));
  }

  /** Maintenance on or off by the environment's strategy, changing only what differs. */
  private async switchMaintenance(on: boolean): Promise<string> {
    const { app, maintenance: settings } = this.target;
    const state = await reads.readMaintenanceState({ app, settings });
    const changes: string[] = [];
    if (settings.strategy !== 'config-var' && state.platformFlag !== on) {
      await this.run.change(
        'setPlatformMaintenance',
        { app, on },
        {
          intent: `turn Heroku's maintenance flag ${on ? 'on' : 'off'} for ${app}`,
          done: () => `maintenance ${on ? 'on' : 'off'}: Heroku maintenance flag ${on ? 'on' : 'off'}`,
        },
      );
      changes.push(`Heroku maintenance flag ${on ? 'on' : 'off'}`);
    }
    if (state.configVar && (state.configVar.state === 'on') !== on) {
      const what = on ? `set ${settings.configVar}` : `cleared ${settings.configVar}`;
      const { release } = await this.run.change(
        'setMaintenanceConfigVar',
        { app, settings, on },
        {
          intent: `${on ? `set ${settings.configVar}=${settings.onValue}` : `clear ${settings.configVar}`} on ${app} (a release and a restart)`,
          done: ({ release }) => ({
            summary: `maintenance ${on ? 'on' : 'off'}: ${what}${release ? ` (release v${release.version})` : ''}`,
            details: { release },
          }),
        },
      );
      changes.push(`${what}${release ? ` (release v${release.version})` : ''}`);
    }
    return changes.length ? changes.join('; ') : `already ${on ? 'on' : 'off'}`;
  }
}

/** Like Promise.all, but never leaves one step running while the failure of another is handled. */
async function allSettledOrThrow(steps: Promise<void>[]): Promise<void> {
  const settled = await Promise.allSettled(steps);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
}
