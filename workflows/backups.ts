import { ApplicationFailure } from '@temporalio/workflow';
import {
  describeProgress,
  describeSchedule,
  describeTransfer,
  type CaptureBackupResult,
  type ListBackupsResult,
  type RestoreBackupResult,
  type ScheduleBackupsResult,
  type TransferSummary,
} from '../common/backups';
import { FailureTypes } from '../common/errors';
import {
  CaptureBackupInput,
  ListBackupsInput,
  parseScheduleTime,
  RestoreBackupInput,
  ScheduleBackupsInput,
} from '../common/inputs';
import { parseRunbookInput } from '../common/validation';
import { heroku, watchers } from './activities';
import { resolveTargetStep, runbook, type RunbookRun } from './runbook';
import type { StepHandle } from '../common/progress';

/** Waits for a transfer to finish, keeping the step's detail current ("b017: 42 % of 9.6 MB"). */
export async function waitForTransfer(
  transfers: ReturnType<typeof watchers>,
  app: string,
  started: TransferSummary,
  step: StepHandle,
  verb: string,
  totalBytes?: number | null,
): Promise<TransferSummary> {
  let transfer = started;
  while (transfer.status === 'pending' || transfer.status === 'running') {
    step.detail(`${verb}: ${describeProgress(transfer, totalBytes)}`);
    transfer = await transfers.watchTransfer({ app, uuid: transfer.uuid });
  }
  step.detail(describeTransfer(transfer));
  return transfer;
}

async function findDatabase(run: RunbookRun, app: string, attachment = 'DATABASE_URL') {
  return run.step('database', async (step) => {
    const found = await heroku.resolveDatabase({ app, attachment });
    step.detail(`${found.attachment}_URL: ${found.addonName} (${found.plan})`);
    return found;
  });
}

/** `heroku pg:backups:capture`: takes a backup, waits for it, returns its name (bNNN) and size. */
export async function captureBackup(input: CaptureBackupInput): Promise<CaptureBackupResult> {
  return runbook('capture-backup', input, async (run) => {
    run.declare([
      { name: 'resolve', title: 'Resolve the app' },
      { name: 'database', title: 'Find the database' },
      { name: 'capture', title: 'Capture a backup' },
    ]);
    const parsed = parseRunbookInput(run.name, CaptureBackupInput, input);
    const target = await resolveTargetStep(run, parsed);
    const database = await findDatabase(run, target.app, parsed.database);
    const transfers = watchers(parsed.timing);
    const backup = await run.step('capture', async (step) => {
      const started = await transfers.startBackupCapture({ database, stepStartedAt: new Date().toISOString() });
      await run.audit('change', `started backup ${started.name} of ${database.attachment}_URL`, {
        backup: started.name,
        database: database.addonName,
      });
      return waitForTransfer(transfers, database.appName, started, step, `capturing ${started.name}`);
    });
    return {
      runbook: 'capture-backup',
      app: target.app,
      environment: target.environment,
      database: `${database.attachment}_URL`,
      backup,
      operator: run.operator,
      summary: `Backup ${describeTransfer(backup)} of ${target.app}'s ${database.attachment}_URL is complete.`,
    };
  });
}

/** `heroku pg:backups`: read-only. */
export async function listBackups(input: ListBackupsInput): Promise<ListBackupsResult> {
  return runbook('list-backups', input, async (run) => {
    run.declare([
      { name: 'resolve', title: 'Resolve the app' },
      { name: 'list', title: 'List backups and restores' },
    ]);
    const target = await resolveTargetStep(run, parseRunbookInput(run.name, ListBackupsInput, input));
    const all = await run.step('list', () => heroku.listTransfers({ app: target.app }));
    const backups = all.filter((t) => t.kind === 'backup' || t.kind === 'scheduled-backup');
    const restores = all.filter((t) => t.kind === 'restore');
    const latest = backups.find((t) => t.status === 'succeeded');
    return {
      runbook: 'list-backups',
      app: target.app,
      environment: target.environment,
      backups,
      restores,
      summary: `${target.app}: ${backups.length} backups${latest ? `, latest good one ${describeTransfer(latest)} finished ${latest.finishedAt}` : ''}; ${restores.length} restores.`,
    };
  });
}

/**
 * `heroku pg:backups:restore b016 --confirm <app>`: replaces the app's database with a backup. Checks the backup
 * exists and succeeded before changing anything; restores at most once per run; waits for it to finish.
 */
export async function restoreBackup(input: RestoreBackupInput): Promise<RestoreBackupResult> {
  return runbook('restore-backup', input, async (run) => {
    run.declare([
      { name: 'resolve', title: 'Resolve the app' },
      { name: 'database', title: 'Find the database' },
      { name: 'check-backup', title: 'Check the backup exists and succeeded' },
      { name: 'restore', title: 'Restore the backup into the database' },
    ]);
    const parsed = parseRunbookInput(run.name, RestoreBackupInput, input);
    const target = await resolveTargetStep(run, parsed);
    if (parsed.confirm !== target.app) {
      throw ApplicationFailure.create({
        type: FailureTypes.InvalidRunbookInput,
        nonRetryable: true,
        message: `Restoring replaces ${target.app}'s database: confirm with the app name (confirm: "${target.app}"), not "${parsed.confirm}". Nothing was changed.`,
      });
    }
    const database = await findDatabase(run, target.app, parsed.database);
    const backup = await run.step('check-backup', async (step) => {
      const found = await heroku.checkBackup({ app: database.appName, backup: parsed.backup });
      step.detail(describeTransfer(found));
      return found;
    });
    const transfers = watchers(parsed.timing);
    const restore = await run.step('restore', async (step) => {
      const started = await transfers.startRestore({
        database,
        backup: backup.name,
        stepStartedAt: new Date().toISOString(),
      });
      await run.audit('change', `started restore ${started.name} of ${backup.name} into ${database.attachment}_URL`, {
        restore: started.name,
        backup: backup.name,
        database: database.addonName,
      });
      return waitForTransfer(
        transfers,
        database.appName,
        started,
        step,
        `restoring ${backup.name}`,
        backup.processedBytes,
      );
    });
    return {
      runbook: 'restore-backup',
      app: target.app,
      environment: target.environment,
      database: `${database.attachment}_URL`,
      backup,
      restore,
      operator: run.operator,
      summary: `Restored ${backup.name} into ${target.app}'s ${database.attachment}_URL (${restore.name}).`,
    };
  });
}

/**
 * `heroku pg:backups:schedule --at '02:00 America/New_York'`: keeps a matching schedule, replaces a different one,
 * and reads it back.
 */
export async function scheduleBackups(input: ScheduleBackupsInput): Promise<ScheduleBackupsResult> {
  return runbook('schedule-backups', input, async (run) => {
    run.declare([
      { name: 'resolve', title: 'Resolve the app' },
      { name: 'database', title: 'Find the database' },
      { name: 'read', title: 'Read the current schedule' },
      { name: 'schedule', title: 'Set the daily backup schedule' },
      { name: 'verify', title: 'Read the schedule back' },
    ]);
    const parsed = parseRunbookInput(run.name, ScheduleBackupsInput, input);
    const wanted = parseScheduleTime(parsed.at)!; // the schema checked it parses
    const target = await resolveTargetStep(run, parsed);
    const database = await findDatabase(run, target.app, parsed.database);
    const name = `${database.attachment}_URL`;
    const current = await run.step('read', async (step) => {
      const schedules = await heroku.readBackupSchedules({ database });
      const found = schedules.find((s) => s.name.toUpperCase() === name) ?? null;
      step.detail(found ? describeSchedule(found) : 'no schedule');
      return found;
    });
    const same = current !== null && current.hour === wanted.hour && current.timezone === wanted.timezone;
    if (same) run.skip('schedule', `already ${describeSchedule(current)}`);
    else {
      await run.step('schedule', async (step) => {
        await heroku.setBackupSchedule({ database, ...wanted });
        step.detail(`${current ? 'replaced' : 'set'}: ${describeSchedule(wanted)}`);
      });
      await run.audit(
        'change',
        `backup schedule of ${name} ${current ? `changed from ${describeSchedule(current)} to` : 'set to'} ${describeSchedule(wanted)}`,
        {
          previous: current,
          schedule: wanted,
        },
      );
    }
    const schedule = await run.step('verify', async (step) => {
      const readBack = (await heroku.readBackupSchedules({ database })).find((s) => s.name.toUpperCase() === name);
      if (!readBack || readBack.hour !== wanted.hour || readBack.timezone !== wanted.timezone) {
        throw ApplicationFailure.nonRetryable(
          `After scheduling, Heroku reports ${readBack ? describeSchedule(readBack) : 'no schedule'} for ${name}, not ${describeSchedule(wanted)}. Check \`heroku pg:backups:schedules -a ${target.app}\`.`,
          'ScheduleMismatch',
        );
      }
      step.detail(describeSchedule(readBack));
      return readBack;
    });
    return {
      runbook: 'schedule-backups',
      app: target.app,
      environment: target.environment,
      database: name,
      schedule,
      previous: current,
      changed: !same,
      operator: run.operator,
      summary: same
        ? `${target.app}'s ${name} is already backed up ${describeSchedule(schedule)}; nothing changed.`
        : `${target.app}'s ${name} is now backed up ${describeSchedule(schedule)}${current ? ` (was ${describeSchedule(current)})` : ''}.`,
    };
  });
}
