import { Command } from 'commander';
import { isoTime, positiveInteger } from '../flag-values';
import { auditVerifyCommand } from './audit-verify';
import type { AuditEntry } from '../../common/audit';
import { auditReconcileCommand } from './audit-reconcile';
import { auditExportCommand } from './audit-export';

interface AuditFlags {
  app?: string;
  env?: string;
  runbook?: string;
  operator?: string;
  workflowId?: string;
  since?: string;
  limit: number;
  json?: boolean;
}

function formatEntry(entry: AuditEntry): string {
  const where = entry.app ? `${entry.app}${entry.environment ? ` (${entry.environment})` : ''}` : '-';
  return `${entry.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}  ${entry.event.padEnd(9)}  ${entry.runbook}  ${where}  by ${entry.operator}\n    ${entry.summary}\n    ${entry.workflowId}`;
}

/**
 * `runbook audit`: the audit trail (RUNBOOK_AUDIT_DB), read without Temporal. Its subcommands each live in their
 * own file; `runbook audit` alone (or `audit list`) lists records.
 */
export function auditCommand(): Command {
  const audit = new Command('audit').description(
    "the audit trail: who ran what on which app, and how it ended (kept beyond Temporal's retention)",
  );
  audit.addCommand(auditListCommand(), { isDefault: true });
  audit.addCommand(auditVerifyCommand());
  audit.addCommand(auditReconcileCommand());
  audit.addCommand(auditExportCommand());
  return audit;
}

/** `runbook audit list`: the records themselves, newest first. */
function auditListCommand(): Command {
  return new Command('list')
    .description('list audit records, newest first (the default of `runbook audit`)')
    .option('--app <name>', 'only this Heroku app')
    .option('--env <name>', 'only this environment')
    .option('--runbook <name>', 'only this runbook (e.g. maintenance-on)')
    .option('--operator <name>', 'only runs by this operator')
    .option('--workflow-id <id>', 'only this run')
    .option('--since <time>', 'only entries at or after this time', isoTime)
    .option('--limit <n>', 'at most this many entries, newest first', positiveInteger, 50)
    .option('--json', 'print JSON')
    .action(async (flags: AuditFlags) => {
      const { openAuditLog } = await import('../../lib/audit/open-audit-log');
      const log = openAuditLog(undefined, { readOnly: true });
      try {
        const entries = await log.query({
          app: flags.app,
          environment: flags.env,
          runbook: flags.runbook,
          operator: flags.operator,
          workflowId: flags.workflowId,
          since: flags.since,
          limit: flags.limit,
        });
        if (flags.json) console.log(JSON.stringify(entries, null, 2));
        else if (entries.length === 0) console.log(`No audit entries match (audit log: ${log.location}).`);
        else console.log(entries.map(formatEntry).join('\n'));
      } finally {
        await log.close();
      }
    });
}
