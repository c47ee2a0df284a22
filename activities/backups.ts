import { activityInfo, heartbeat } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { findSchedule, type BackupSchedule, type DatabaseRef, type TransferSummary } from '../common/backups';
import { FailureTypes } from '../common/errors';
import { backupNumber, summarize, type DataApi, type Transfer } from './heroku/data-api';
import { DEFAULT_POLLING, LOW_RATE_LIMIT, pollThroughBlips, sleepHeartbeating, type PollingSettings } from './polling';
import {
  boundedIntervalMs,
  expectTransfer,
  needsHistory,
  newTransferWatch,
  planTransferPoll,
  sighted,
  windowedRead,
  type TransferWatchState,
} from './transfer-polls';

// Where they were first defined: the worker and the tests import them from here.
export {
  DEFAULT_POLLING,
  LOW_RATE_LIMIT,
  nextPollInterval,
  pollThroughBlips,
  pollingFromEnv,
  type PollingSettings,
} from './polling';

/**
 * Transfers this worker watches, by app and uuid: what it saw last, so that the workflow's next watch window goes on
 * from there (sleeping until the planned read) instead of reading at once and measuring the pace anew. Worker memory
 * only: a watch retried on another worker starts afresh, which costs two reads. The oldest go first past this many.
 */
const WATCHES_KEPT = 200;

/**
 * Heroku's and Temporal's clocks differ a little, and the data API gives whole seconds: a transfer created this long
 * before the step began still counts as the step's own.
 */
const CLOCK_SLACK_MS = 5_000;

export interface StartTransferRequest {
  database: DatabaseRef;
  /** When the step began (workflow time): what a previous attempt of it created is newer than this. */
  stepStartedAt: string;
}

function failure(type: string, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, nonRetryable: true, message });
}

/**
 * What an attempt leaves for the next one: the highest transfer number before it started anything (so a retry adopts
 * only a transfer this run's step made, never an earlier run's), and the transfer once Heroku accepted it.
 */
interface StartedMarker {
  before?: number;
  uuid?: string;
}

export function backupActivities(data: DataApi, polling: PollingSettings = DEFAULT_POLLING) {
  const watches = new Map<string, { watch: TransferWatchState; summary?: TransferSummary }>();
  const lowBudget = () => data.rateLimitRemaining !== undefined && data.rateLimitRemaining < LOW_RATE_LIMIT;

  /**
   * Starts a transfer exactly once per step of a run. A retry first looks for what an earlier attempt of the step
   * started — by the uuid it heartbeated, else by a matching transfer newer than the number it heartbeated first
   * and created since the step began — and adopts it; only when there is none does it ask Heroku again.
   */
  async function startOnce(
    { database, stepStartedAt }: StartTransferRequest,
    ours: (transfer: Transfer) => boolean,
    start: () => Promise<Transfer>,
  ): Promise<TransferSummary> {
    const marker = (activityInfo().heartbeatDetails ?? {}) as StartedMarker;
    if (marker.uuid) return summarize(await data.getTransfer(database.appName, marker.uuid));
    const existing = await data.listTransfers(database.appName);
    if (activityInfo().attempt > 1) {
      const since = Date.parse(stepStartedAt) - CLOCK_SLACK_MS;
      const earlier = existing
        .filter((transfer) => ours(transfer) && Date.parse(transfer.created_at) >= since)
        .filter((transfer) => marker.before === undefined || transfer.num > marker.before)
        .sort((a, b) => b.num - a.num)[0];
      if (earlier) return summarize(earlier);
    }
    const before = marker.before ?? Math.max(0, ...existing.map((transfer) => transfer.num));
    heartbeat({ before } satisfies StartedMarker);
    const transfer = await start();
    heartbeat({ before, uuid: transfer.uuid } satisfies StartedMarker);
    return summarize(transfer);
  }

  /** A backup by name ("b016") or the newest that succeeded ("latest"), checked usable before anything changes. */
  async function findBackup(app: string, name: string): Promise<Transfer> {
    const all = await data.listTransfers(app);
    const backups = all.filter((t) => t.from_type === 'pg_dump' && t.to_type === 'gof3r' && !t.deleted_at);
    if (name === 'latest') {
      const latest = backups
        .filter((t) => t.succeeded)
        .sort((a, b) => Date.parse(b.finished_at ?? '') - Date.parse(a.finished_at ?? ''))[0];
      if (!latest)
        throw failure(FailureTypes.BackupUnusable, `${app} has no successful backup to restore. Nothing was changed.`);
      return latest;
    }
    const backup = backups.find((t) => t.num === backupNumber(name));
    if (!backup) {
      const known =
        backups
          .map((t) => summarize(t).name)
          .sort()
          .reverse()
          .slice(0, 8)
          .join(', ') || 'none';
      throw failure(
        FailureTypes.BackupUnusable,
        `Backup ${name} not found for ${app} (its backups: ${known}). Nothing was changed.`,
      );
    }
    if (!backup.succeeded) {
      throw failure(
        FailureTypes.BackupUnusable,
        `Backup ${name} did not complete successfully (${summarize(backup).status}); it cannot be restored. Nothing was changed.`,
      );
    }
    return backup;
  }

  return {
    /** The backup a restore would use, checked to exist and to have succeeded. */
    async checkBackup({ app, backup }: { app: string; backup: string }): Promise<TransferSummary> {
      return summarize(await findBackup(app, backup));
    },

    /** `heroku pg:backups:restore`, at most once per step. The backup's URL never leaves this activity. */
    async startRestore(request: StartTransferRequest & { backup: string }): Promise<TransferSummary> {
      return startOnce(
        request,
        (transfer) =>
          transfer.to_type === 'pg_restore' &&
          transfer.from_type !== 'pg_dump' &&
          transfer.from_name === request.backup,
        async () => {
          const backup = await findBackup(request.database.appName, request.backup);
          return data.restore(request.database.addonId, backup.to_url!);
        },
      );
    },

    async readBackupSchedules({ database }: { database: DatabaseRef }): Promise<BackupSchedule[]> {
      return data.schedules(database.addonId);
    },

    /** Sets the daily schedule unless an identical one is in place (Heroku keeps one per database). */
    async setBackupSchedule({
      database,
      hour,
      timezone,
    }: {
      database: DatabaseRef;
      hour: number;
      timezone: string;
    }): Promise<{ changed: boolean }> {
      const current = findSchedule(await data.schedules(database.addonId), database.attachment);
      if (current?.hour === hour && current.timezone === timezone) return { changed: false };
      await data.setSchedule(database.addonId, { hour, timezone, name: `${database.attachment}_URL` });
      return { changed: true };
    },

    /** `heroku pg:backups:cancel`: stops a transfer still running; one that already finished is left as it is. */
    async cancelTransfer({
      app,
      uuid,
    }: {
      app: string;
      uuid: string;
    }): Promise<{ transfer: TransferSummary; cancelled: boolean }> {
      const transfer = summarize(await data.getTransfer(app, uuid));
      if (transfer.status !== 'pending' && transfer.status !== 'running') return { transfer, cancelled: false };
      await data.cancel(app, uuid);
      return { transfer: summarize(await data.getTransfer(app, uuid)), cancelled: true };
    },

    async listTransfers({ app }: { app: string }): Promise<TransferSummary[]> {
      return (await data.listTransfers(app)).map(summarize).sort((a, b) => b.num - a.num);
    },

    /** `heroku pg:backups:capture`, at most once per step. */
    async startBackupCapture(request: StartTransferRequest): Promise<TransferSummary> {
      return startOnce(
        request,
        (transfer) => transfer.from_type === 'pg_dump' && transfer.to_type === 'gof3r' && !transfer.schedule,
        () => data.capture(request.database.addonId),
      );
    },

    /**
     * Watches a transfer until it finishes or the watch window (`watchMs`) ends, heartbeating its progress; returns
     * where it is. Reads are planned from the transfer's pace (transfer-polls.ts): a few per wait, the end seen
     * within 1 s + 5 % of the wait. A window ends with a read, so each return reports fresh progress. A transfer that
     * finished without success fails the step (no retry) with Heroku's last log lines.
     */
    async watchTransfer({ app, uuid }: { app: string; uuid: string }): Promise<TransferSummary> {
      const windowEnd = Date.now() + polling.watchMs;
      // A read planned a little past the window's end is made (and ends the window) rather than one more at its end.
      const stretchedEnd = windowEnd + polling.maxMs;
      // Heroku's blips on that last read are still tried again, within the activity's start-to-close timeout.
      const blipDeadline = stretchedEnd + polling.maxMs;
      const key = `${app} ${uuid}`;
      const kept = watches.get(key) ?? { watch: newTransferWatch(Date.now(), polling) };
      watches.delete(key);
      watches.set(key, kept);
      if (watches.size > WATCHES_KEPT) watches.delete(watches.keys().next().value!);
      const { watch } = kept;
      const retryInterval = () => (lowBudget() ? polling.maxMs : boundedIntervalMs(watch, Date.now(), polling));
      for (;;) {
        const planned = Date.now() + planTransferPoll(watch, Date.now(), polling, data.rateLimitRemaining).delayMs;
        const { at, lastOfWindow } = windowedRead(planned, windowEnd, stretchedEnd);
        await sleepHeartbeating(at - Date.now(), kept.summary); // cancellation-aware
        const transfer = await pollThroughBlips(() => data.getTransfer(app, uuid), blipDeadline, retryInterval());
        const summary = summarize(transfer);
        kept.summary = summary;
        heartbeat(summary);
        const running = summary.status === 'running';
        sighted(
          watch,
          { at: Date.now(), running, processedBytes: transfer.processed_bytes ?? 0 },
          polling,
          data.rateLimitRemaining,
        );
        if (transfer.finished_at || transfer.canceled_at) {
          watches.delete(key);
          if (summary.status === 'succeeded') return summary;
          const logs = (await data.getTransfer(app, uuid, true)).logs ?? [];
          throw ApplicationFailure.create({
            type: FailureTypes.TransferFailed,
            nonRetryable: true,
            message: `${summary.name} ${summary.status === 'canceled' ? 'was canceled' : 'did not complete successfully'}${
              logs.length
                ? `; Heroku's last log lines: ${logs
                    .slice(-5)
                    .map((line) => line.message)
                    .join(' | ')}`
                : ''
            }.`,
            details: [summary],
          });
        }
        // With a pace to go by (two running reads), what the transfer will end at: a capture's from its database's
        // last backup, read once per transfer.
        if (!watch.expectation && running && watch.previous?.running) {
          const earlier = needsHistory(transfer)
            ? await pollThroughBlips(() => data.listTransfers(app), blipDeadline, retryInterval())
            : undefined;
          watch.expectation = expectTransfer(transfer, earlier);
        }
        if (lastOfWindow) return summary;
      }
    },
  };
}
