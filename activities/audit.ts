import type { AuditRecord } from '../common/audit';
import type { AuditLog } from '../lib/audit/audit-log';

/** The activity that writes the audit trail; a retry of a write that went through changes nothing. */
export function auditActivities(log: AuditLog) {
  return {
    async recordAudit(record: AuditRecord): Promise<void> {
      await log.write({ ...record, at: new Date().toISOString() });
    },
  };
}
