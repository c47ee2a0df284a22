import { activityInfo, heartbeat, sleep } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { findSchedule, type BackupSchedule, type DatabaseRef, type TransferSummary } from '../common/backups';
import { FailureTypes } from '../common/errors';
import { millisecondsFromEnv } from '../lib/env-settings';
import { backupNumber, summarize, type DataApi, type Transfer } from './heroku/data-api';

/** How waits poll: a short first interval so completion is seen quickly, growing so long waits cost few calls. */
export interface PollingSettings {
  initialMs: number;
  maxMs: number;
  /** How long one watch activity polls before reporting progress back to the workflow. */
  watchMs: number;
}

export const DEFAULT_POLLING: PollingSettings = { initialMs: 1_000, maxMs: 15_000, watchMs: 30_000 };

/** Below this much API budget (RateLimit-Remaining), waits poll at their slowest: other runbooks need it too. */
export const LOW_RATE_LIMIT = 300;

/** The next poll interval: growing by half from a short first one, at most `maxMs`, and at once `maxMs` on a low budget. */
export function nextPollInterval(
  current: number,
  polling: PollingSettings,
  rateLimitRemaining: number | undefined,
): number {
  if (rateLimitRemaining !== undefined && rateLimitRemaining < LOW_RATE_LIMIT) return polling.maxMs;
  return Math.min(Math.round(current * 1.5), polling.maxMs);
}

/**
 * One poll of a long wait, through Heroku's blips: a read that fails and may be retried (5xx, 429, a dropped
 * connection) is tried again after `interval` while the watch has time left, instead of failing the attempt — a
 * watch makes dozens of reads, and at a few per cent of failures each, attempt after attempt would fail and the
 * run give up on a wait that was going fine. A refusal (4xx), or Heroku failing for the watch's whole window, fails
 * the attempt as before (the activity's retry policy takes it from there).
 */
export async function pollThroughBlips<T>(read: () => Promise<T>, deadline: number, interval: number): Promise<T> {
  for (;;) {
    try {
      return await read();
    } catch (err) {
      const transient = err instanceof ApplicationFailure && !err.nonRetryable;
      if (!transient || Date.now() + interval > deadline) throw err;
      await sleep(interval); // cancellation-aware
    }
  }
}

/** Polling from RUNBOOK_POLL_INITIAL_MS, RUNBOOK_POLL_MAX_MS, RUNBOOK_POLL_WATCH_MS (the defaults where unset). */
export function pollingFromEnv(env: NodeJS.ProcessEnv = process.env): PollingSettings {
  const read = (name: string, fallback: number) => millisecondsFromEnv(name, env, { whole: true }) ?? fallback;
  return {
    initialMs: read('RUNBOOK_POLL_INITIAL_MS', DEFAULT_POLLING.initialMs),
    maxMs: read('RUNBOOK_POLL_MAX_MS', DEFAULT_POLLING.maxMs),
    watchMs: read('RUNBOOK_POLL_WATCH_MS', DEFAULT_POLLING.watchMs),
  };
}

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
     * Polls a transfer until it finishes or `watchMs` passes, heartbeating its progress; returns where it is.
     * A transfer that finished without success fails the step (no retry) with Heroku's last log lines.
     */
    async watchTransfer({ app, uuid }: { app: string; uuid: string }): Promise<TransferSummary> {
      const deadline = Date.now() + polling.watchMs;
      let interval = polling.initialMs;
      for (;;) {
        const transfer = await pollThroughBlips(() => data.getTransfer(app, uuid), deadline, interval);
        const summary = summarize(transfer);
        heartbeat(summary);
        if (transfer.finished_at || transfer.canceled_at) {
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
        if (Date.now() + interval > deadline) return summary;
        await sleep(interval); // cancellation-aware: a cancelled run stops waiting at once
        interval = nextPollInterval(interval, polling, data.rateLimitRemaining);
      }
    },
  };
}
