import { sleep } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { AuditHead, AuditRecord } from '../common/audit';
import { FailureTypes } from '../common/errors';
import type { AuditLog } from '../lib/audit/audit-log';
import { copyToLog, type AuditLogCopy } from '../lib/audit/log-copy';

/** How long one audit write keeps trying before the run is told the trail cannot be written. */
export const DEFAULT_AUDIT_WRITE_TIMEOUT_MS = 20_000;

/**
 * The activity that writes the audit trail; a retry of a write that went through changes nothing. A store that is
 * busy or down is tried again for `writeTimeoutMs`; then the write fails for good (AuditUnavailable), and the run
 * makes no change it could not record. Each record written is also logged, as a second copy (`logCopy`, the worker's
 * pino logger), and its place in the chain returned to the run.
 */
export function auditActivities(
  log: AuditLog,
  writeTimeoutMs = DEFAULT_AUDIT_WRITE_TIMEOUT_MS,
  logCopy?: AuditLogCopy,
) {
  return {
    async recordAudit(record: AuditRecord): Promise<AuditHead> {
      const deadline = Date.now() + writeTimeoutMs;
      for (let pause = 100; ; pause = Math.min(pause * 2, 2_000)) {
        try {
          const { written, record: stored } = await log.append({ ...record, at: new Date().toISOString() });
          if (written) copyToLog(logCopy, stored);
          return { position: stored.position, hash: stored.hash, chain: (await log.chainId()) ?? stored.hash };
        } catch (err) {
          if (Date.now() + pause > deadline) {
            throw ApplicationFailure.create({
              type: FailureTypes.AuditUnavailable,
              nonRetryable: true,
              message: `The audit trail ${log.location} cannot be written (${(err as Error).message}; tried for ${Math.round(writeTimeoutMs / 1000)} s)`,
            });
          }
          await sleep(pause);
        }
      }
    },
  };
}
