import type { AuditEntry } from '../../common/audit';
import type { ChainedEntry } from './chain';

/**
 * What a log drain (PaperTrail) alerts on, as the `alert` field of the record's log line: a run that failed or ended
 * without succeeding, an approval refused or rejected, a change made outside the engine. Null for the rest.
 */
export type AuditAlert = 'runbook-failed' | 'approval-refused' | 'approval-rejected' | 'outside-change';

export function alertOf(record: AuditEntry): AuditAlert | null {
  const details = record.details as { cancelled?: boolean; refused?: unknown; decision?: { decision?: string } };
  switch (record.event) {
    case 'failed':
    case 'ended':
      return 'runbook-failed';
    case 'approval':
      if (details.refused) return 'approval-refused';
      return details.decision?.decision === 'rejected' ? 'approval-rejected' : null;
    case 'outside-change':
      return 'outside-change';
    default:
      return null;
  }
}

/** Where a copy of each record goes: one JSON line each (pino's info), kept by the log drain apart from the store. */
export interface AuditLogCopy {
  info(fields: Record<string, unknown>, message: string): void;
}

/** Writes a record's independent copy: every field, its chain link included, so the two can be compared. */
export function copyToLog(logger: AuditLogCopy | undefined, record: ChainedEntry): void {
  const alert = alertOf(record);
  logger?.info({ audit: record, ...(alert && { alert }) }, `audit ${record.event}: ${record.summary}`);
}
