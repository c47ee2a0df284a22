import { Command } from 'commander';
import { isoTime, positiveInteger } from '../flag-values';
import { readHistory, type HistoryLine } from '../read-history';
import { describeRecordedPerson, formatDuration, formatTime } from '../run-summary';

interface HistoryFlags {
  app?: string;
  env?: string;
  runbook?: string;
  operator?: string;
  since?: string;
  limit: number;
  json?: boolean;
}

function formatLine(line: HistoryLine): string {
  const where = (app: string | null, environment: string | null) =>
    app ? `${app}${environment ? ` (${environment})` : ''}` : '-';
  if (line.kind === 'outside-change') {
    return `${formatTime(line.at)}  ${where(line.app, line.environment)}  outside change by ${line.by}: ${line.summary}`;
  }
  const approvers = line.approvers.length
    ? `approved by ${line.approvers.map(describeRecordedPerson).join(' and ')}`
    : 'no approver';
  const outcome = line.why ? `${line.outcome}: ${line.why}` : line.outcome;
  return [
    formatTime(line.startedAt),
    line.runbook,
    where(line.app, line.environment),
    `by ${describeRecordedPerson(line.requester)}`,
    approvers,
    outcome,
    formatDuration(line.durationSeconds),
    line.workflowId,
  ].join('  ');
}

/**
 * `runbook history`: one line per run, newest first — when, which runbook, where, who asked and who approved, how
 * it ended and how long it took — and the outside changes found on Heroku. From the audit trail alone (read-only):
 * it reads the same after Temporal's retention dropped the runs.
 */
export function historyCommand(): Command {
  return new Command('history')
    .description(
      "the operation history from the audit trail: one line per run, newest first (beyond Temporal's retention)",
    )
    .option('--app <name>', 'only runs on this Heroku app')
    .option('--env <name>', 'only runs on this environment')
    .option('--runbook <name>', 'only this runbook (e.g. disaster-recovery)')
    .option('--operator <email>', 'only runs this person requested or approved')
    .option('--since <time>', 'only runs started at or after this time', isoTime)
    .option('--limit <n>', 'at most this many lines, newest first', positiveInteger, 20)
    .option('--json', 'print JSON')
    .action(async (flags: HistoryFlags) => {
      const { openAuditLog } = await import('../../lib/audit/open-audit-log');
      const log = openAuditLog(undefined, { readOnly: true });
      try {
        const lines = await readHistory(log, {
          app: flags.app,
          environment: flags.env,
          runbook: flags.runbook,
          operator: flags.operator,
          since: flags.since,
          limit: flags.limit,
        });
        if (flags.json) console.log(JSON.stringify(lines, null, 2));
        else if (lines.length === 0) console.log(`No runs match (audit log: ${log.location}).`);
        else console.log(lines.map(formatLine).join('\n'));
      } finally {
        await log.close();
      }
    });
}
