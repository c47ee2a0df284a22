import { ApplicationFailure, CancellationScope, isCancellation, patched } from '@temporalio/workflow';
import {
  describeProgress,
  describeSchedule,
  describeTransfer,
  findSchedule,
  formatBytes,
  newestBackup,
  transferDeadlineSeconds,
  type CaptureBackupResult,
  type DatabaseRef,
  type ListBackupsResult,
  type RestoreBackupResult,
  type ScheduleBackupsResult,
  type TransferSummary,
} from '../common/backups';
import { describeDuration } from '../common/durations';
import { causeChain, FailureTypes } from '../common/errors';
import {
  parseScheduleTime,
  type CaptureBackupInput,
  type ListBackupsInput,
  type RestoreBackupInput,
  type ScheduleBackupsInput,
} from '../common/inputs';
import type { StepHandle } from '../common/progress';
import { describeSent } from '../common/redact';
import { reads, watchers, type WatchTiming } from './activities';
import { resolveTargetStep, runbook, type RunbookRun } from './runbook';

export interface TransferWait {
  /** The app whose transfers list holds it (the database's owner). */
  app: string;
  started: TransferSummary;
  step: StepHandle;
  /** "restoring b016", shown with the progress. */
  verb: string;
  /** The size the transfer is heading for, when known (a restore: its backup's size). */
  totalBytes?: number | null;
  /** Give up (and cancel it on Heroku) after this long. */
  deadlineSeconds: number;
  timing?: WatchTiming;
  /** Told when the wait ended early (cancelled, or past the deadline): the transfer as the cancel left it. */
  onStopped?(transfer: TransferSummary, cancelledOnHeroku: boolean): void;
}

/**
 * Waits for a transfer this run started, keeping the step's detail current ("restoring b016: 42 % of 9.6 MB"), for
 * at most its deadline. A wait that ends early — the run cancelled, or the deadline passed — first cancels the
 * transfer on Heroku (a change, on the record): a cancelled backup or restore does not go on running unwatched.
 */
export async function waitForTransfer(run: RunbookRun, wait: TransferWait): Promise<TransferSummary> {
  const transfer = await waitUntilEnded(run, wait);
  // On the record with its size: the change record said only that it started. (Patched: runs that began on an
  // older worker replay without it.)
  if (patched('audit-transfer-end'))
    await run.auditSoon(
      'notice',
      `${wait.started.kind === 'restore' ? 'restore' : 'backup'} ${describeTransfer(transfer)}`,
      {
        activity: 'watchTransfer',
        transfer,
      },
    );
  return transfer;
}

async function waitUntilEnded(run: RunbookRun, wait: TransferWait): Promise<TransferSummary> {
  const { app, started, step, verb, totalBytes, deadlineSeconds } = wait;
  const transfers = watchers(wait.timing);
  try {
    return await CancellationScope.withTimeout(deadlineSeconds * 1000, async () => {
      let transfer = started;
      while (transfer.status === 'pending' || transfer.status === 'running') {
        step.detail(`${verb}: ${describeProgress(transfer, totalBytes)}`);
        transfer = await transfers.watchTransfer({ app, uuid: transfer.uuid });
      }
      step.detail(describeTransfer(transfer));
      return transfer;
    });
  } catch (err) {
    if (!isCancellation(err)) throw err;
    const timedOut = !CancellationScope.current().consideredCancelled;
    const why = timedOut ? `it ran past its deadline of ${describeDuration(deadlineSeconds)}` : 'the run was cancelled';
    const { transfer, cancelled } = await cancelOwnTransfer(run, app, started, why);
    step.detail(cancelled ? `${transfer.name} cancelled on Heroku (${why})` : describeTransfer(transfer));
    if (timedOut && transfer.status === 'succeeded') return transfer; // it finished as the deadline passed
    wait.onStopped?.(transfer, cancelled);
    if (!timedOut) throw err;
    throw ApplicationFailure.create({
      type: FailureTypes.TransferTimedOut,
      nonRetryable: true,
      message: `${started.name} did not finish within ${describeDuration(deadlineSeconds)}, the deadline for ${
        totalBytes ? formatBytes(totalBytes) : 'its size'
      } (backups.transferDeadline in the environments file); ${
        cancelled ? `it was cancelled on Heroku at ${formatBytes(transfer.processedBytes)}` : `it ${transfer.status}`
      }.`,
      details: [transfer],
    });
  }
}

/**
 * `heroku pg:backups:cancel` of a transfer this run started, on the record. Stopping what this run itself started is
 * safe even when its lock was broken. One that already ended is left as it is (`cancelled` false).
 */
export function cancelOwnTransfer(
  run: RunbookRun,
  app: string,
  transfer: TransferSummary,
  why: string,
): Promise<{ transfer: TransferSummary; cancelled: boolean }> {
  return run.change(
    'cancelTransfer',
    { app, uuid: transfer.uuid },
    {
      intent: `cancel ${transfer.name} on Heroku (${why})`,
      details: { transfer: transfer.name },
      done: ({ transfer: after, cancelled }) => ({
        summary: cancelled
          ? `cancelled ${after.name} on Heroku at ${formatBytes(after.processedBytes)} (${why})`
          : `${after.name} had already ${after.status === 'succeeded' ? 'succeeded' : `ended (${after.status})`}`,
        details: { cancelled, after },
      }),
    },
    { despiteBrokenLock: true },
  );
}

async function findDatabase(run: RunbookRun, app: string, attachment = 'DATABASE_URL'): Promise<DatabaseRef> {
  return run.step('database', async (step) => {
    const found = await reads.resolveDatabase({ app, attachment });
    step.detail(`${found.attachment}_URL: ${found.addonName} (${found.plan})`);
    return found;
  });
}

/** `heroku pg:backups:capture`: takes a backup, waits for it, returns its name (bNNN) and size. */
export async function captureBackup(input: CaptureBackupInput): Promise<CaptureBackupResult> {
  return runbook('capture-backup', input, async (run, parsed) => {
    run.declare([
      { name: 'resolve', title: 'Resolve the app' },
      { name: 'database', title: 'Find the database' },
      { name: 'capture', title: 'Capture a backup' },
    ]);
    const target = await resolveTargetStep(run, parsed);
    const database = await findDatabase(run, target.app, parsed.database);
    const backup = await run.step('capture', async (step) => {
      // The last backup's size is the best guess of this one's: it sets how long the capture may take.
      const previous = newestBackup(await reads.listTransfers({ app: database.appName }));
      const sizeGuess = previous?.processedBytes ?? previous?.sourceBytes ?? null;
      const started = await captureOnce(run, database, parsed.timing);
      try {
        return await waitForTransfer(run, {
          app: database.appName,
          started,
          step,
          verb: `capturing ${started.name}`,
          deadlineSeconds: transferDeadlineSeconds(sizeGuess, target.backups.transferDeadline),
          timing: parsed.timing,
          onStopped: (transfer, cancelledOnHeroku) =>
            run.leave(
              cancelledOnHeroku
                ? `Backup ${transfer.name} was cancelled on Heroku at ${formatBytes(transfer.processedBytes)}; the database is unchanged.`
                : `Backup ${describeTransfer(transfer)}: it ended before it could be cancelled; the database is unchanged.`,
            ),
        });
      } catch (err) {
        // The watch itself failed (Heroku refused the token, or stayed unavailable): the backup goes on on Heroku
        // unwatched, and nobody could cancel it either. Say so, rather than nothing.
        const failedOnHeroku = causeChain(err).some(
          (cause) => (cause as { type?: string }).type === FailureTypes.TransferFailed,
        );
        if (run.leftState === null && !isCancellation(err) && !failedOnHeroku) {
          run.leave(
            `Backup ${started.name} was started on Heroku, but this run could not follow it to its end: it may still be running, or have finished; the database is unchanged. See whether it finished: \`heroku pg:backups -a ${database.appName}\`.`,
          );
        }
        throw err;
      }
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

/** Starts a backup of the database, at most once per step (a retry adopts what an earlier attempt started). */
export function captureOnce(run: RunbookRun, database: DatabaseRef, timing?: WatchTiming): Promise<TransferSummary> {
  return run.change(
    'startBackupCapture',
    { database, stepStartedAt: new Date().toISOString() },
    {
      intent: `capture a backup of ${database.attachment}_URL (${database.addonName})`,
      details: { database: database.addonName },
      done: (started) => ({
        summary: `started backup ${started.name} of ${database.attachment}_URL`,
        details: { backup: started.name, transfer: { uuid: started.uuid, num: started.num, name: started.name } },
      }),
    },
    { timing },
  );
}

/** Starts a restore of `backup` into the database, at most once per step. */
export function restoreOnce(
  run: RunbookRun,
  database: DatabaseRef,
  backup: string,
  timing?: WatchTiming,
): Promise<TransferSummary> {
  return run.change(
    'startRestore',
    { database, backup, stepStartedAt: new Date().toISOString() },
    {
      intent: `restore ${backup} into ${database.attachment}_URL (${database.addonName}), replacing its data`,
      details: { backup, database: database.addonName },
      done: (started) => ({
        summary: `started restore ${started.name} of ${backup} into ${database.attachment}_URL`,
        details: { restore: started.name, transfer: { uuid: started.uuid, num: started.num, name: started.name } },
      }),
    },
    { timing },
  );
}

/** `heroku pg:backups`: read-only. */
export async function listBackups(input: ListBackupsInput): Promise<ListBackupsResult> {
  return runbook('list-backups', input, async (run, parsed) => {
    run.declare([
      { name: 'resolve', title: 'Resolve the app' },
      { name: 'list', title: 'List backups and restores' },
    ]);
    const target = await resolveTargetStep(run, parsed);
    const all = await run.step('list', () => reads.listTransfers({ app: target.app }));
    const backups = all.filter((t) => t.kind === 'backup' || t.kind === 'scheduled-backup');
    const restores = all.filter((t) => t.kind === 'restore');
    const latest = newestBackup(all);
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
 * exists and succeeded before changing anything; restores at most once per run; waits for it to finish, for at most
 * its deadline — a cancelled or overdue restore is cancelled on Heroku too.
 */
export async function restoreBackup(input: RestoreBackupInput): Promise<RestoreBackupResult> {
  return runbook('restore-backup', input, async (run, parsed) => {
    run.declare([
      { name: 'resolve', title: 'Resolve the app' },
      { name: 'database', title: 'Find the database' },
      { name: 'check-backup', title: 'Check the backup exists and succeeded' },
      { name: 'approval', title: 'Approval by a second person (where the environment asks for it)' },
      { name: 'restore', title: 'Restore the backup into the database' },
    ]);
    const target = await resolveTargetStep(run, parsed);
    if (parsed.confirm !== target.app) {
      throw ApplicationFailure.create({
        type: FailureTypes.InvalidRunbookInput,
        nonRetryable: true,
        message: `Restoring replaces ${target.app}'s database: confirm with the app name (confirm: "${target.app}"), not ${describeSent(parsed.confirm, 60)}. Nothing was changed.`,
      });
    }
    const database = await findDatabase(run, target.app, parsed.database);
    const backup = await run.step('check-backup', async (step) => {
      const found = await reads.checkBackup({ app: database.appName, backup: parsed.backup });
      step.detail(describeTransfer(found));
      return found;
    });
    await run.seekApproval('restore-backup', [
      `Restore ${describeTransfer(backup)}`,
      `into ${database.attachment}_URL (${database.addonName}): its current data is replaced`,
    ]);
    const restore = await run.step('restore', async (step) => {
      const started = await restoreOnce(run, database, backup.name, parsed.timing);
      let stopped = 'did not complete';
      try {
        return await waitForTransfer(run, {
          app: database.appName,
          started,
          step,
          verb: `restoring ${backup.name}`,
          totalBytes: backup.processedBytes,
          deadlineSeconds: transferDeadlineSeconds(backup.processedBytes, target.backups.transferDeadline),
          timing: parsed.timing,
          onStopped: (transfer, cancelledOnHeroku) => {
            stopped = `${cancelledOnHeroku ? 'was cancelled on Heroku' : transfer.status} at ${formatBytes(transfer.processedBytes)}`;
          },
        });
      } catch (err) {
        run.leave(
          `Restore ${started.name} of ${backup.name} ${stopped}: ${database.attachment}_URL may be partly restored and inconsistent. ` +
            `Restore it again (\`runbook run restore-backup --app ${target.app} --backup ${backup.name} --confirm ${target.app}\`), or run a disaster recovery.`,
        );
        throw err;
      }
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
  return runbook('schedule-backups', input, async (run, parsed) => {
    run.declare([
      { name: 'resolve', title: 'Resolve the app' },
      { name: 'database', title: 'Find the database' },
      { name: 'read', title: 'Read the current schedule' },
      { name: 'schedule', title: 'Set the daily backup schedule' },
      { name: 'verify', title: 'Read the schedule back' },
    ]);
    const wanted = parseScheduleTime(parsed.at)!; // the schema checked it parses
    const target = await resolveTargetStep(run, parsed);
    const database = await findDatabase(run, target.app, parsed.database);
    const name = `${database.attachment}_URL`;
    const current = await run.step('read', async (step) => {
      const found = findSchedule(await reads.readBackupSchedules({ database }), database.attachment);
      step.detail(found ? describeSchedule(found) : 'no schedule');
      return found;
    });
    const same = current !== null && current.hour === wanted.hour && current.timezone === wanted.timezone;
    if (same) run.skip('schedule', `already ${describeSchedule(current)}`);
    else {
      await run.step('schedule', async (step) => {
        await setSchedule(run, database, wanted, current);
        step.detail(`${current ? 'replaced' : 'set'}: ${describeSchedule(wanted)}`);
      });
    }
    const schedule = await run.step('verify', async (step) => {
      const readBack = findSchedule(await reads.readBackupSchedules({ database }), database.attachment);
      if (!readBack || readBack.hour !== wanted.hour || readBack.timezone !== wanted.timezone) {
        throw ApplicationFailure.create({
          type: FailureTypes.ScheduleMismatch,
          nonRetryable: true,
          message: `After scheduling, Heroku reports ${readBack ? describeSchedule(readBack) : 'no schedule'} for ${name}, not ${describeSchedule(wanted)}. Check \`heroku pg:backups:schedules -a ${target.app}\`.`,
        });
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

/** Sets the database's daily backup schedule (one per database: it replaces another), on the record. */
export async function setSchedule(
  run: RunbookRun,
  database: DatabaseRef,
  wanted: { hour: number; timezone: string },
  previous: { hour: number; timezone: string } | null,
): Promise<{ changed: boolean }> {
  const name = `${database.attachment}_URL`;
  return run.change(
    'setBackupSchedule',
    { database, hour: wanted.hour, timezone: wanted.timezone },
    {
      intent: `schedule daily backups of ${name} ${describeSchedule(wanted)}`,
      details: { previous, schedule: wanted },
      done: ({ changed }) =>
        changed
          ? `backup schedule of ${name} ${previous ? `changed from ${describeSchedule(previous)} to` : 'set to'} ${describeSchedule(wanted)}`
          : `backup schedule of ${name} already ${describeSchedule(wanted)}`,
    },
  );
}
