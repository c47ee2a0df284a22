import type { BackupSchedule, TransferSummary } from '../../common/backups';
import type { HerokuConnection } from './connection';
import { HerokuApiClient, type HerokuClientOptions } from './request';

/** A transfer as the Postgres data API returns it (reference §4.2); only the fields runbooks read. */
export interface Transfer {
  uuid: string;
  num: number;
  from_type: string;
  to_type: string;
  /** For a restore of one of the app's backups, that backup's name (b016). */
  from_name?: string | null;
  from_url?: string;
  /** The database it writes to (DATABASE for a restore; BACKUP for a capture). */
  to_name?: string | null;
  to_url?: string;
  source_bytes?: number | null;
  processed_bytes?: number | null;
  succeeded?: boolean;
  created_at: string;
  started_at?: string | null;
  finished_at?: string | null;
  canceled_at?: string | null;
  deleted_at?: string | null;
  schedule?: { uuid?: string } | null;
  options?: { pgbackups_name?: string } | null;
  logs?: Array<{ created_at: string; level: string; message: string }>;
}

/** The CLI's classification and naming (b/a/r/c + the number padded to 3). */
export function summarize(transfer: Transfer): TransferSummary {
  const isRestore = transfer.from_type !== 'pg_dump' && transfer.to_type === 'pg_restore';
  const isCopy = transfer.from_type === 'pg_dump' && transfer.to_type === 'pg_restore';
  const kind: TransferSummary['kind'] = isRestore
    ? 'restore'
    : isCopy
      ? 'copy'
      : transfer.schedule
        ? 'scheduled-backup'
        : 'backup';
  const prefix = { backup: 'b', 'scheduled-backup': 'a', restore: 'r', copy: 'c' }[kind];
  const status: TransferSummary['status'] = transfer.succeeded
    ? 'succeeded'
    : transfer.canceled_at
      ? 'canceled'
      : transfer.finished_at
        ? 'failed'
        : transfer.started_at
          ? 'running'
          : 'pending';
  return {
    name: `${prefix}${String(transfer.num).padStart(3, '0')}`,
    uuid: transfer.uuid,
    num: transfer.num,
    kind,
    status,
    sourceBytes: transfer.source_bytes ?? null,
    processedBytes: transfer.processed_bytes ?? null,
    createdAt: transfer.created_at,
    finishedAt: transfer.finished_at ?? null,
  };
}

/** Parses a CLI backup name (b016, a017) into its number. */
export function backupNumber(name: string): number | undefined {
  const match = /^[ab](\d+)$/.exec(name);
  return match ? Number(match[1]) : undefined;
}

/**
 * The Heroku Postgres data API (`/client/v11`, HEROKU_DATA_API_URL): transfers (backups, restores) and backup
 * schedules. Same token and error mapping as the Platform API.
 */
export class DataApi extends HerokuApiClient {
  constructor(connection: HerokuConnection, options: HerokuClientOptions = {}) {
    super(connection.dataApiUrl, connection.apiKey, options);
  }

  listTransfers(app: string): Promise<Transfer[]> {
    return this.request('GET', `/client/v11/apps/${encodeURIComponent(app)}/transfers`);
  }

  getTransfer(app: string, idOrNum: string | number, verbose = false): Promise<Transfer> {
    return this.request(
      'GET',
      `/client/v11/apps/${encodeURIComponent(app)}/transfers/${idOrNum}${verbose ? '?verbose=true' : ''}`,
    );
  }

  /** Starts a backup. NOT idempotent: callers look for the backup a previous attempt made first. */
  capture(addonId: string): Promise<Transfer> {
    return this.request('POST', `/client/v11/databases/${addonId}/backups`);
  }

  /** Starts a restore. NOT idempotent: callers look for the restore a previous attempt made first. */
  restore(addonId: string, backupUrl: string): Promise<Transfer> {
    return this.request('POST', `/client/v11/databases/${addonId}/restores`, { body: { backup_url: backupUrl } });
  }

  cancel(app: string, uuid: string): Promise<unknown> {
    return this.request('POST', `/client/v11/apps/${encodeURIComponent(app)}/transfers/${uuid}/actions/cancel`);
  }

  async schedules(addonId: string): Promise<BackupSchedule[]> {
    const list = await this.request<Array<{ uuid: string; name: string; hour: number | string; timezone: string }>>(
      'GET',
      `/client/v11/databases/${addonId}/transfer-schedules`,
    );
    return list.map((schedule) => ({
      uuid: schedule.uuid,
      name: schedule.name,
      hour: Number(schedule.hour),
      timezone: schedule.timezone,
    }));
  }

  /** Sets the database's daily backup schedule (Heroku keeps one per database: this replaces it). */
  setSchedule(addonId: string, schedule: { hour: number; timezone: string; name: string }): Promise<unknown> {
    return this.request('POST', `/client/v11/databases/${addonId}/transfer-schedules`, {
      body: { hour: String(schedule.hour).padStart(2, '0'), timezone: schedule.timezone, schedule_name: schedule.name },
    });
  }

  deleteSchedule(addonId: string, uuid: string): Promise<unknown> {
    return this.request('DELETE', `/client/v11/databases/${addonId}/transfer-schedules/${uuid}`);
  }
}
