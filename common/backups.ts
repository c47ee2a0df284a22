import type { TransferDeadlineSettings } from './environments';
/** A Heroku Postgres transfer (backup, restore or copy) as runbooks report it: no URLs, no credentials. */
export interface TransferSummary {
  /** The CLI's name: b016 (backup), a017 (scheduled backup), r003 (restore), c002 (copy). */
  name: string;
  uuid: string;
  num: number;
  kind: 'backup' | 'scheduled-backup' | 'restore' | 'copy';
  status: 'pending' | 'running' | 'succeeded' | 'failed' | 'canceled';
  sourceBytes: number | null;
  processedBytes: number | null;
  createdAt: string;
  finishedAt: string | null;
}

export interface BackupSchedule {
  uuid: string;
  /** The attachment's config var, e.g. DATABASE_URL. */
  name: string;
  hour: number;
  timezone: string;
}

/** The database a runbook acts on: the add-on behind DATABASE_URL (or another attachment). */
export interface DatabaseRef {
  addonId: string;
  addonName: string;
  /** The app that owns (bills) the add-on, whose transfers list holds its backups. */
  appId: string;
  appName: string;
  attachment: string;
  plan: string;
}

/** "9.59 MB", as `heroku pg:backups` prints sizes (its "MB" are 1024² bytes). */
export function formatBytes(bytes: number | null): string {
  if (bytes === null) return 'unknown size';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = -1;
  do {
    value /= 1024;
    unit++;
  } while (value >= 1024 && unit < units.length - 1);
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

export interface CaptureBackupResult {
  runbook: 'capture-backup';
  app: string;
  environment: string | null;
  database: string;
  backup: TransferSummary;
  operator: string;
  summary: string;
}

export interface ListBackupsResult {
  runbook: 'list-backups';
  app: string;
  environment: string | null;
  backups: TransferSummary[];
  restores: TransferSummary[];
  summary: string;
}

/** A backup's size is what it holds (processed bytes, compressed), as `heroku pg:backups` shows it. */
export function describeTransfer(transfer: TransferSummary): string {
  return `${transfer.name} (${transfer.status}, ${formatBytes(transfer.processedBytes ?? transfer.sourceBytes)})`;
}

/** "42 % of 9.59 MB" when the total is known (a restore: the backup's size), else "processed 4.20 MB"; or "pending". */
export function describeProgress(transfer: TransferSummary, totalBytes?: number | null): string {
  if (transfer.status === 'pending') return 'pending';
  if (!totalBytes) return `processed ${formatBytes(transfer.processedBytes)}`;
  const percent = Math.min(100, Math.floor(((transfer.processedBytes ?? 0) / totalBytes) * 100));
  return `${percent} % of ${formatBytes(totalBytes)}`;
}

export interface RestoreBackupResult {
  runbook: 'restore-backup';
  app: string;
  environment: string | null;
  database: string;
  backup: TransferSummary;
  restore: TransferSummary;
  operator: string;
  summary: string;
}

export interface ScheduleBackupsResult {
  runbook: 'schedule-backups';
  app: string;
  environment: string | null;
  database: string;
  schedule: BackupSchedule;
  /** The schedule it replaced, or null. */
  previous: BackupSchedule | null;
  changed: boolean;
  operator: string;
  summary: string;
}

export function describeSchedule(schedule: Pick<BackupSchedule, 'hour' | 'timezone'>): string {
  return `daily at ${String(schedule.hour).padStart(2, '0')}:00 ${schedule.timezone}`;
}

/**
 * How long a transfer of `bytes` may take before a runbook gives up and cancels it: its size at the assumed rate,
 * times the margin, never less than the minimum. `bytes` unknown (a first backup): the minimum.
 */
export function transferDeadlineSeconds(bytes: number | null, settings: TransferDeadlineSettings): number {
  const needed = ((bytes ?? 0) / settings.bytesPerSecond) * settings.margin;
  return Math.max(settings.minimumSeconds, Math.ceil(needed));
}

/** The newest successful backup among transfers listed newest first: its size is a capture's best estimate. */
export function newestBackup(transfers: TransferSummary[]): TransferSummary | null {
  return (
    transfers.find((t) => (t.kind === 'backup' || t.kind === 'scheduled-backup') && t.status === 'succeeded') ?? null
  );
}

/** The attachment's schedule among a database's schedules (Heroku names a schedule after `<ATTACHMENT>_URL`). */
export function findSchedule<S extends { name: string }>(schedules: S[], attachment: string): S | null {
  const name = `${attachment}_URL`;
  return schedules.find((s) => s.name.toUpperCase() === name) ?? null;
}
