import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { Command, Option } from 'commander';
import { csvRow } from '../csv';
import { isoTime } from '../flag-values';

/**
 * `runbook audit export`: the trail in chain order, every field with its place in the chain — JSON Lines (what
 * `runbook audit verify --file` checks on its own) or CSV (RFC 4180, details as JSON). `--since` starts at the first
 * record written at or after that time and takes every record after it, so the part exported is one unbroken piece
 * of the chain. The export is verified as it is written (when a public audit key is at hand), and says so.
 */
export function auditExportCommand(): Command {
  return new Command('export')
    .description('every audit record in chain order, as JSON Lines or CSV (for an archive or a spreadsheet), verified')
    .addOption(new Option('--format <format>', 'jsonl or csv').choices(['jsonl', 'csv']).default('jsonl'))
    .option('--since <time>', 'from the first record at or after this time, and every record after it', isoTime)
    .option('--output <file>', 'write to this file instead of standard output')
    .action(async (flags: { format: 'jsonl' | 'csv'; since?: string; output?: string }) => {
      const { AuditKeyring } = await import('../../lib/audit/audit-keys');
      const { CHAINED_ENTRY_FIELDS } = await import('../../lib/audit/audit-log');
      const { openAuditLog } = await import('../../lib/audit/open-audit-log');
      const { ChainVerifier, walkChain } = await import('../../lib/audit/verify-chain');
      const keyring = AuditKeyring.fromEnv();
      const verifier = keyring.keyIds().length ? new ChainVerifier(keyring, { segment: true }) : null;
      const out: NodeJS.WritableStream | WriteStream = flags.output ? createWriteStream(flags.output) : process.stdout;
      const write = async (text: string) => {
        if (!out.write(text)) await once(out, 'drain');
      };
      if (flags.format === 'csv') await write(csvRow(CHAINED_ENTRY_FIELDS));
      const log = openAuditLog(undefined, { readOnly: true });
      let count = 0;
      try {
        let started = !flags.since;
        for await (const record of walkChain(log)) {
          started ||= record.at >= flags.since!;
          if (!started) continue;
          verifier?.add(record);
          count++;
          await write(
            flags.format === 'csv'
              ? csvRow(CHAINED_ENTRY_FIELDS.map((column) => record[column]))
              : `${JSON.stringify(record)}\n`,
          );
        }
      } finally {
        await log.close();
      }
      if (flags.output) {
        (out as WriteStream).end();
        await once(out, 'finish');
      }
      const report = verifier?.report();
      const where = flags.output ? ` to ${flags.output}` : '';
      if (!report) {
        console.error(
          `Exported ${count} audit records${where} (${flags.format}), not verified: no audit public key (RUNBOOK_AUDIT_PUBLIC_KEYS). Check it with \`runbook audit verify --file\`.`,
        );
      } else if (report.ok) {
        console.error(
          `Exported ${count} audit records${where} (${flags.format}), verified: each in its place in the chain, signed by ${report.keyIds.join(', ') || 'no key'}.`,
        );
      } else {
        const bad = report.firstBreak!;
        console.error(
          `Exported ${count} audit records${where} (${flags.format}), but the trail does not verify: record ${bad.position}: ${bad.message}. See \`runbook audit verify\`.`,
        );
        process.exitCode = 1;
      }
    });
}
