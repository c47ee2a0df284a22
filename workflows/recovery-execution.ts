import { ApplicationFailure, CancellationScope, isCancellation, workflowInfo } from '@temporalio/workflow';
import { describeSchedule, type DatabaseRef, type TransferSummary } from '../common/backups';
import type { AppLeftState, DisasterRecoveryPlan, RecoveryCheckpoint } from '../common/disaster-recovery';
import type { ResolvedTarget } from '../common/environments';
import { describeFormation, type ProcessFormation } from '../common/formation';
import { isInMaintenance } from '../common/maintenance';
import { heroku, watchers } from './activities';
import { waitForTransfer } from './backups';
import { runDetached } from './commands';
import { rootMessage, type RunbookRun } from './runbook';
import type { StepHandle } from '../common/progress';

/**
 * The changing part of a disaster recovery, step by step, keeping what a compensation and a later retry need to
 * know: what was touched, which destructive steps completed (the checkpoint), and what is still to do.
 */
export class RecoveryExecution {
  private database: DatabaseRef | null = null;
  private maintenanceTouched = false;
  private quietTouched = false;
  private restore: TransferSummary | null = null;
  private restoreSucceeded: boolean;
  /** Asked Heroku to restore: from then on the database may be inconsistent until the restore succeeded. */
  private restoreRequested = false;
  private migrationsStarted = false;
  private migrationsSucceeded = false;

  constructor(
    private readonly run: RunbookRun,
    private readonly target: ResolvedTarget,
    private readonly plan: DisasterRecoveryPlan,
    private readonly checkpoint: RecoveryCheckpoint,
    private readonly timing: { heartbeatTimeoutSeconds?: number; commandTimeoutSeconds?: number } = {},
  ) {
    this.restoreSucceeded = this.isDone('restore');
  }

  get restored(): TransferSummary | null {
    return this.checkpoint.restore;
  }

  get safetyBackup(): TransferSummary | null {
    return this.checkpoint.safetyBackup;
  }

  // ── The steps ────────────────────────────────────────────────────────────────────────────────────────────

  async maintenanceOn(): Promise<void> {
    if (this.plan.maintenance.onBefore) return this.run.skip('maintenance-on', 'already on');
    await this.step('maintenance-on', async (step) => {
      this.maintenanceTouched = true;
      step.detail(await this.switchMaintenance(true));
    });
  }

  async quiet(): Promise<void> {
    if (this.plan.quiet.length === 0) return this.run.skip('quiet', 'no background process is running');
    await this.step('quiet', async (step) => {
      this.quietTouched = true;
      const after = await heroku.scaleFormation({
        app: this.target.app,
        updates: this.plan.quiet.map((type) => ({ type, quantity: 0 })),
      });
      const now = describeFormation(after.filter((p) => this.plan.quiet.includes(p.type)));
      await this.run.audit('change', `quieted ${now} (was ${describeFormation(this.recorded())})`, {
        previous: this.recorded(),
        current: after,
      });
      step.detail(now);
    });
  }

  async takeSafetyBackup(): Promise<void> {
    if (!this.plan.safetyBackup) return this.run.skip('safety-backup', 'off (safetyBackup: false)');
    if (this.isDone('safety-backup'))
      return this.run.skip('safety-backup', `done in ${this.resumed()} (${this.checkpoint.safetyBackup?.name})`);
    await this.step('safety-backup', async (step) => {
      const database = await this.db();
      const transfers = watchers(this.timing);
      const stepStartedAt = new Date().toISOString();
      const started = await CancellationScope.nonCancellable(() =>
        transfers.startBackupCapture({ database, stepStartedAt }),
      );
      this.checkpoint.safetyBackup = started;
      await this.run.audit('change', `started safety backup ${started.name} of ${database.attachment}_URL`, {
        backup: started.name,
      });
      this.checkpoint.safetyBackup = await waitForTransfer(
        transfers,
        database.appName,
        started,
        step,
        `capturing ${started.name}`,
      );
    });
  }

  async restoreBackup(): Promise<void> {
    if (this.isDone('restore'))
      return this.run.skip('restore', `done in ${this.resumed()} (${this.checkpoint.restore?.name}), verified`);
    await this.step('restore', async (step) => {
      const database = await this.db();
      const transfers = watchers(this.timing);
      const backup = this.plan.backup.name;
      this.restoreRequested = true;
      // Not cancellable: once asked, Heroku may have started it, and a cancellation must know which one to stop.
      const stepStartedAt = new Date().toISOString();
      const started = await CancellationScope.nonCancellable(() =>
        transfers.startRestore({ database, backup, stepStartedAt }),
      );
      this.restore = this.checkpoint.restore = started;
      await this.run.audit('change', `started restore ${started.name} of ${backup} into ${database.attachment}_URL`, {
        restore: started.name,
        backup,
        database: database.addonName,
      });
      this.restore = this.checkpoint.restore = await waitForTransfer(
        transfers,
        database.appName,
        started,
        step,
        `restoring ${backup}`,
        this.plan.backup.sizeBytes,
      );
      this.restoreSucceeded = true;
    });
  }

  async recreateSchedule(): Promise<void> {
    const wanted = this.plan.schedule;
    if (!wanted) return this.run.skip('schedule', 'no schedule recorded or configured');
    await this.step('schedule', async (step) => {
      const database = await this.db();
      const { changed } = await heroku.setBackupSchedule({ database, hour: wanted.hour, timezone: wanted.timezone });
      if (changed)
        await this.run.audit(
          'change',
          `backup schedule of ${database.attachment}_URL set to ${describeSchedule(wanted)}`,
          { schedule: wanted },
        );
      step.detail(`${changed ? 're-created' : 'already in place'}: ${describeSchedule(wanted)}`);
    });
  }

  async runMigrations(): Promise<void> {
    const command = this.plan.migrations;
    if (!command) return this.run.skip('migrations', 'not asked: --migrate / runMigrations is off');
    if (this.isDone('migrations')) return this.run.skip('migrations', `done in ${this.resumed()}`);
    await this.step('migrations', async (step) => {
      this.migrationsStarted = true;
      await runDetached(this.run, step, {
        app: this.target.app,
        command,
        markerStep: 'migrations',
        timeoutSeconds: this.commandTimeout(),
        timing: this.timing,
      });
      this.migrationsSucceeded = true;
    });
  }

  async clearCachesAndQueues(): Promise<void> {
    const commands = this.plan.clearCommands;
    if (commands.length === 0) return this.run.skip('clear', 'no clear commands configured');
    if (this.isDone('clear')) return this.run.skip('clear', `done in ${this.resumed()}`);
    await this.step('clear', async (step) => {
      for (const [i, command] of commands.entries()) {
        await runDetached(this.run, step, {
          app: this.target.app,
          command,
          markerStep: `clear-${i + 1}`,
          timeoutSeconds: this.commandTimeout(),
          timing: this.timing,
        });
      }
      step.detail(`${commands.length} command${commands.length === 1 ? '' : 's'} exited with status 0`);
    });
  }

  async rebuildIndex(): Promise<void> {
    if (this.isDone('index')) return this.run.skip('index', `done in ${this.resumed()}`);
    await this.step('index', (step) =>
      runDetached(this.run, step, {
        app: this.target.app,
        command: this.plan.indexCommand,
        markerStep: 'index',
        timeoutSeconds: this.commandTimeout(),
        timing: this.timing,
      }),
    );
  }

  async scaleBack(): Promise<void> {
    if (this.plan.quiet.length === 0) return this.run.skip('scale-back', 'nothing was quieted');
    await this.step('scale-back', async (step) => step.detail(await this.restoreFormation()));
  }

  async maintenanceOff(): Promise<void> {
    if (this.plan.maintenance.onBefore)
      return this.run.skip('maintenance-off', 'it was on before this run: it stays on');
    await this.step('maintenance-off', async (step) => step.detail(await this.switchMaintenance(false)));
  }

  /** Reads back what the run promised: the schedule in place, the formation as before, maintenance as before. */
  async verify(): Promise<void> {
    await this.step('verify', async (step) => {
      const problems: string[] = [];
      const database = await this.db();
      if (this.plan.schedule) {
        const { hour, timezone } = this.plan.schedule;
        const schedules = await heroku.readBackupSchedules({ database });
        const name = `${database.attachment}_URL`;
        if (!schedules.some((s) => s.name.toUpperCase() === name && s.hour === hour && s.timezone === timezone)) {
          problems.push(`no backup schedule ${describeSchedule(this.plan.schedule)} for ${name}`);
        }
      }
      const formation = await heroku.readFormation({ app: this.target.app });
      for (const before of this.plan.formation) {
        const now = formation.find((p) => p.type === before.type);
        if (!now || now.quantity !== before.quantity)
          problems.push(`${before.type} is ${now?.quantity ?? 'missing'}, was ${before.quantity}`);
      }
      const maintenance = await heroku.readMaintenanceState({
        app: this.target.app,
        settings: this.target.maintenance,
      });
      const on = isInMaintenance(maintenance);
      if (on !== this.plan.maintenance.onBefore) problems.push(`maintenance is ${on ? 'on' : 'off'}`);
      if (problems.length > 0) {
        throw ApplicationFailure.create({
          type: 'VerificationFailed',
          nonRetryable: true,
          message: `After the recovery, ${this.target.app} is not as planned: ${problems.join('; ')}. Check \`heroku ps\`, \`heroku pg:backups:schedules\` and \`heroku config\` for ${this.target.app}.`,
        });
      }
      step.detail(
        `schedule ${this.plan.schedule ? describeSchedule(this.plan.schedule) : 'none (as planned)'}; ${describeFormation(formation)}; maintenance ${on ? 'on' : 'off'}`,
      );
    });
  }

  // ── Compensation ─────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Undoes what can be undone after a failure or a cancellation: a restore still running is stopped, quieted
   * processes are scaled back, and maintenance is turned off — unless the database may be inconsistent or still
   * holds caches and queues from before the restore, in which case the site stays in maintenance. Returns the
   * state the app was left in, with the next manual step.
   */
  async compensate(err: unknown): Promise<AppLeftState> {
    const { app } = this.target;
    const { workflowId } = workflowInfo();
    const cancelled = isCancellation(err);
    const notes: string[] = [];

    if (this.restore && !this.restoreSucceeded) {
      try {
        const { transfer: after, cancelled: stopped } = await heroku.cancelTransfer({
          app: (await this.db()).appName,
          uuid: this.restore.uuid,
        });
        this.restore = this.checkpoint.restore = after;
        notes.push(
          stopped
            ? `restore ${after.name} was stopped at ${after.processedBytes ?? 0} bytes (${after.status})`
            : after.status === 'succeeded'
              ? `restore ${after.name} finished before it could be stopped`
              : `restore ${after.name} ${after.status}`,
        );
        if (after.status === 'succeeded') {
          this.restoreSucceeded = true;
          this.checkpoint.done.push('restore');
        }
      } catch (cancelError) {
        notes.push(
          `restore ${this.restore.name} could not be stopped (${rootMessage(cancelError)}): check \`heroku pg:backups -a ${app}\``,
        );
      }
    }

    let processes: AppLeftState['processes'] = 'as before';
    if (this.quietTouched) {
      this.run.declare([{ name: 'compensate-scale-back', title: 'Compensation: scale processes back' }]);
      try {
        notes.push(
          `processes scaled back (${await this.run.step('compensate-scale-back', async (step) => {
            const done = await this.restoreFormation();
            step.detail(done);
            return done;
          })})`,
        );
      } catch (scaleError) {
        processes = 'quiet';
        notes.push(
          `processes could NOT be scaled back (${rootMessage(scaleError)}): run \`heroku ps:scale ${this.recorded()
            .map((p) => `${p.type}=${p.quantity}`)
            .join(' ')} -a ${app}\``,
        );
      }
    }

    const dataUnsafe = (this.restore !== null || this.restoreRequested) && !this.restoreSucceeded;
    const schemaUnsafe = this.migrationsStarted && !this.migrationsSucceeded;
    const staleCaches =
      this.restoreSucceeded && this.plan.clearCommands.length > 0 && !this.checkpoint.done.includes('clear');
    let maintenance: AppLeftState['maintenance'] = this.plan.maintenance.onBefore ? 'on' : 'off';
    if (this.maintenanceTouched) {
      if (dataUnsafe || schemaUnsafe || staleCaches) {
        maintenance = 'on';
        const why = dataUnsafe
          ? `the database may be inconsistent: restore ${this.restore?.name ?? '(started, name unknown)'} of ${this.plan.backup.name} did not complete`
          : schemaUnsafe
            ? 'the database may be inconsistent: the migrations did not complete'
            : `caches and queues from before the restore were not cleared, so the site would serve stale data`;
        notes.push(`maintenance left ON because ${why}`);
      } else if (!this.plan.maintenance.onBefore) {
        this.run.declare([{ name: 'compensate-maintenance', title: 'Compensation: maintenance off' }]);
        try {
          await this.run.step('compensate-maintenance', async (step) =>
            step.detail(await this.switchMaintenance(false)),
          );
          notes.push('maintenance turned off again');
        } catch (maintenanceError) {
          maintenance = 'unknown';
          notes.push(
            `maintenance could NOT be turned off (${rootMessage(maintenanceError)}): run \`runbook run maintenance-off --app ${app}\``,
          );
        }
      }
    }

    const database: AppLeftState['database'] = this.restoreSucceeded
      ? 'restored'
      : dataUnsafe
        ? 'may be inconsistent'
        : 'untouched';
    const notDone = this.run
      .progress()
      .steps.filter(
        (s) =>
          ['schedule', 'migrations', 'clear', 'index'].includes(s.name) &&
          (s.status === 'pending' || s.status === 'failed' || s.status === 'running'),
      )
      .map((s) => s.title.toLowerCase());
    const retry = `\`runbook retry ${workflowId}\``;
    const next =
      database === 'may be inconsistent' || schemaUnsafe
        ? `fix the cause, then ${retry} (it restores ${this.plan.backup.name} again and carries on); by hand: \`heroku pg:backups:restore ${this.plan.backup.name} ${this.plan.database.attachment}_URL --app ${app} --confirm ${app}\`, then the remaining steps (\`runbook manual disaster-recovery\`)`
        : database === 'restored'
          ? `${retry} continues from "${this.checkpoint.failedStep ?? 'the failed step'}" without restoring again`
          : `nothing was restored; fix the cause and ${retry} (or start a new disaster recovery)`;
    const statement = [
      `${cancelled ? 'Cancelled' : 'Failed'}${this.checkpoint.failedStep ? ` at "${this.checkpoint.failedStep}"` : ''}.`,
      `State of ${app}: database ${database === 'restored' ? `restored from ${this.plan.backup.name} (${this.checkpoint.restore?.name})` : database}; maintenance ${maintenance.toUpperCase()}; processes ${processes === 'quiet' ? 'still quiet' : this.quietTouched ? 'scaled back' : 'not touched'}.`,
      notes.length ? `Compensation: ${notes.join('; ')}.` : 'Compensation: nothing to undo.',
      notDone.length && database === 'restored' ? `Not done: ${notDone.join(', ')}.` : '',
      `Next: ${next}.`,
    ]
      .filter(Boolean)
      .join(' ');
    const left: AppLeftState = { maintenance, processes, database, statement, next };
    this.run.leftState = statement;
    await this.run.audit('compensation', statement, { left, checkpoint: this.checkpoint });
    return left;
  }

  // ── Helpers ──────────────────────────────────────────────────────────────────────────────────────────────

  /** Runs a step, keeping the checkpoint: done steps are added, the failed one is named. */
  private async step<T>(name: string, body: (step: StepHandle) => Promise<T>): Promise<T> {
    try {
      const result = await this.run.step(name, body);
      this.checkpoint.done.push(name);
      return result;
    } catch (err) {
      this.checkpoint.failedStep ??= name;
      throw err;
    }
  }

  private isDone(step: string): boolean {
    return this.plan.resumedFrom?.done.includes(step) ?? false;
  }

  private resumed(): string {
    return this.plan.resumedFrom?.workflowId ?? 'an earlier run';
  }

  private commandTimeout(): number {
    return this.timing.commandTimeoutSeconds ?? this.target.disasterRecovery.commandTimeoutMinutes * 60;
  }

  private async db(): Promise<DatabaseRef> {
    this.database ??= await heroku.resolveDatabase({ app: this.target.app, attachment: this.plan.database.attachment });
    return this.database;
  }

  /** The quieted process types as they were before the run. */
  private recorded(): ProcessFormation[] {
    return this.plan.formation.filter((p) => this.plan.quiet.includes(p.type));
  }

  private async restoreFormation(): Promise<string> {
    const recorded = this.recorded();
    const after = await heroku.scaleFormation({
      app: this.target.app,
      updates: recorded.map(({ type, quantity, size }) => ({ type, quantity, size })),
    });
    const now = describeFormation(after.filter((p) => this.plan.quiet.includes(p.type)));
    await this.run.audit('change', `scaled back to ${now}`, { restored: recorded });
    return now;
  }

  /** Maintenance on or off by the environment's strategy, changing only what differs. */
  private async switchMaintenance(on: boolean): Promise<string> {
    const { app, maintenance: settings } = this.target;
    const state = await heroku.readMaintenanceState({ app, settings });
    const changes: string[] = [];
    if (settings.strategy !== 'config-var' && state.platformFlag !== on) {
      await heroku.setPlatformMaintenance({ app, on });
      changes.push(`Heroku maintenance flag ${on ? 'on' : 'off'}`);
    }
    if (state.configVar && (state.configVar.state === 'on') !== on) {
      const { release } = await heroku.setMaintenanceConfigVar({ app, settings, on });
      changes.push(
        `${on ? `set ${settings.configVar}` : `cleared ${settings.configVar}`}${release ? ` (release v${release.version})` : ''}`,
      );
    }
    if (changes.length > 0)
      await this.run.audit('change', `maintenance ${on ? 'on' : 'off'}: ${changes.join('; ')}`, { on, changes });
    return changes.length ? changes.join('; ') : `already ${on ? 'on' : 'off'}`;
  }
}

/** Makes sure compensation runs to its end even when the run is being cancelled. */
export function compensateFully(execution: RecoveryExecution, err: unknown): Promise<AppLeftState> {
  return CancellationScope.nonCancellable(() => execution.compensate(err));
}
