import type { TransferRecord } from '../state-transfers';

/**
 * The `logs` of a transfer (`?verbose=true`), derived from its timeline so they never disagree with it. On a
 * failure the CLI prints the last five messages, so the failure reason comes last but one.
 */

export interface TransferLog {
  created_at: string;
  level: 'info' | 'error';
  message: string;
}

const BACKUP_START = [
  'pg_dump: last built-in OID is 16383',
  'pg_dump: reading extensions',
  'pg_dump: reading schemas',
  'pg_dump: dumping contents of tables',
];
const BACKUP_DONE = ['pg_dump done', 'waiting for upload to complete', 'upload done', 'DONE'];
const RESTORE_START = [
  'pg_restore: connecting to database for restore',
  'pg_restore: creating SCHEMA "public"',
  'pg_restore: processing data for tables',
];
const RESTORE_DONE = ['pg_restore done', 'DONE'];

export function isRestore(transfer: Pick<TransferRecord, 'from_type' | 'to_type'>): boolean {
  return transfer.from_type !== 'pg_dump' && transfer.to_type === 'pg_restore';
}

export function transferLogs(transfer: TransferRecord, format: (iso: string) => string): TransferLog[] {
  const restore = isRestore(transfer);
  const info = (at: string, message: string): TransferLog => ({ created_at: format(at), level: 'info', message });
  const logs: TransferLog[] = [];
  if (transfer.started_at)
    logs.push(...(restore ? RESTORE_START : BACKUP_START).map((m) => info(transfer.started_at!, m)));
  const finishedAt = transfer.finished_at;
  if (!finishedAt) return logs;
  if (transfer.canceled_at) {
    logs.push(info(finishedAt, 'Transfer canceled by user'), info(finishedAt, 'CANCELED'));
  } else if (transfer.succeeded) {
    logs.push(...(restore ? RESTORE_DONE : BACKUP_DONE).map((m) => info(finishedAt, m)));
  } else {
    const reason = transfer.failure ?? 'transfer failed';
    logs.push(
      ...reason.split('\n').map((message) => ({ created_at: format(finishedAt), level: 'error' as const, message })),
    );
    logs.push(info(finishedAt, restore ? 'pg_restore failed' : 'pg_dump failed'), info(finishedAt, 'FAILED'));
  }
  return logs;
}
