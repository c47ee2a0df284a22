import path from 'node:path';
import { PACKAGE_ROOT } from '../paths';
import type { AuditLog, AuditLogOptions } from './audit-log';
import { PostgresAuditLog } from './postgres-audit-log';
import { SqliteAuditLog } from './sqlite-audit-log';

export const DEFAULT_AUDIT_DB = path.join(PACKAGE_ROOT, '.data', 'audit.db');

/**
 * Opens the audit log RUNBOOK_AUDIT_DB names: a `postgres://` URL (shared by every worker: the scale-out path),
 * else a SQLite file (default .data/audit.db: one machine). The worker opens it with its signing key; the CLI's
 * readers open it read-only.
 */
export function openAuditLog(
  location = process.env.RUNBOOK_AUDIT_DB || DEFAULT_AUDIT_DB,
  options: AuditLogOptions = {},
): AuditLog {
  if (/^postgres(ql)?:\/\//.test(location)) return new PostgresAuditLog(location, options);
  return new SqliteAuditLog(location, options);
}
