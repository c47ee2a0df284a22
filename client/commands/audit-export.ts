import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { Command, Option } from 'commander';
import { openAuditLog } from '../../lib/audit/open-audit-log';
import { toCsv } from '../csv';
import { isoTime } from '../flag-values';
import { READ_ALL } from '../read-history';

/** The fields every entry has, first in a CSV (any others an entry carries follow, as they first appear). */
const ENTRY_FIELDS = [
  'workflowId',
  'runId',
  'seq',
  'at',
  'runbook',
  'event',
  'operator',
  'app',
  'environment',
  'summary',
  'details',
];

/**
 * `runbook audit export`: every record, oldest first, every field as the store returns it — JSON Lines (one entry a
 * line) or CSV (RFC 4180, details as JSON). Read-only.
 */
export function auditExportCommand(): Command {
  return new Command('export')
    .description('every audit record, oldest first, as JSON Lines or CSV (for an archive or a spreadsheet)')
    .addOption(new Option('--format <format>', 'jsonl or csv').choices(['jsonl', 'csv']).default('jsonl'))
    .option('--since <time>', 'only records at or after this time', isoTime)
    .option('--output <file>', 'write to this file instead of standard output')
    .action(async (flags: { format: 'jsonl' | 'csv'; since?: string; output?: string }) => {
      const log = openAuditLog();
      let entries;
      try {
        // Newest first from the store: reversed. (An ordered reader of the whole store is to come.)
        entries = (await log.query({ since: flags.since, limit: READ_ALL })).reverse();
      } finally {
        await log.close();
      }
      if (entries.length >= READ_ALL)
        console.error(`runbook: the export stopped at ${READ_ALL} records: export in parts with --since.`);
      const rows = entries as unknown as Record<string, unknown>[];
      const text =
        flags.format === 'csv' ? toCsv(rows, ENTRY_FIELDS) : rows.map((row) => `${JSON.stringify(row)}\n`).join('');
      if (!flags.output) {
        process.stdout.write(text);
        return;
      }
      const out = createWriteStream(flags.output);
      out.end(text);
      await once(out, 'finish');
      console.error(`Exported ${entries.length} audit records to ${flags.output} (${flags.format}).`);
    });
}
