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

/** "9.6 MB", as the CLI prints sizes. */
export function formatBytes(bytes: number | null): string {
  if (bytes === null) return 'unknown size';
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = -1;
  do {
    value /= 1000;
    unit++;
  } while (value >= 1000 && unit < units.length - 1);
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}
