import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Command } from 'commander';
import type { AuditKeyring } from '../../lib/audit/audit-keys';
import type { ChainedEntry } from '../../lib/audit/chain';
import type { ChainReport } from '../../lib/audit/verify-chain';
import { compareWithTemporal, type HeadComparison } from '../audit-heads';
import { UsageError } from '../usage-error';

interface VerifyFlags {
  publicKey: string[];
  file?: string;
  temporal: boolean;
  json?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/**
 * `runbook audit verify`: walks the trail's hash chain (RUNBOOK_AUDIT_DB, or an export with --file), checks each
 * record's hash and signature against the trusted public keys, and compares the end of the chain with the runs
 * Temporal still keeps. Exit 1 if anything is wrong, naming the first bad record and how far the chain is good.
 */
export function auditVerifyCommand(): Command {
  return new Command('verify')
    .description("check that nobody changed the trail: every record's hash, signature and place in the chain")
    .option('--public-key <key>', 'trust records signed by this audit key (rbapk1_…; repeatable)', collect, [])
    .option('--file <export.jsonl>', 'verify an export (`runbook audit export --format jsonl`) instead of the store')
    .option('--no-temporal', "do not compare the chain's end with the runs Temporal keeps")
    .option('--json', 'print the report as JSON')
    .action(async (flags: VerifyFlags) => {
      const { AuditKeyError, AuditKeyring } = await import('../../lib/audit/audit-keys');
      let keyring: AuditKeyring;
      try {
        keyring = AuditKeyring.fromEnv(flags.publicKey);
      } catch (err) {
        if (err instanceof AuditKeyError) throw new UsageError(err.message);
        throw err;
      }
      if (keyring.keyIds().length === 0) {
        throw new UsageError(
          "No audit public key to verify with. Set RUNBOOK_AUDIT_PUBLIC_KEYS (or pass --public-key) to the worker's audit public key: the worker logs it at start (`auditPublicKey`), and `runbook keys audit` made it. It is never read from the trail itself, which is what is being checked.",
        );
      }
      const { where, report, temporal } = flags.file
        ? { where: flags.file, report: await verifyFile(flags.file, keyring), temporal: null }
        : await verifyDatabase(keyring, flags.temporal);
      if (flags.json) console.log(JSON.stringify({ trail: where, ...report, temporal }, null, 2));
      else console.log(describeReport(where, report, temporal));
      if (!report.ok || (temporal && 'mismatches' in temporal && temporal.mismatches.length)) process.exitCode = 1;
    });
}

async function verifyDatabase(
  keyring: AuditKeyring,
  withTemporal: boolean,
): Promise<{ where: string; report: ChainReport; temporal: HeadComparison | { skipped: string } | null }> {
  const { openAuditLog } = await import('../../lib/audit/open-audit-log');
  const { verifyStore } = await import('../../lib/audit/verify-chain');
  const log = openAuditLog(undefined, { readOnly: true });
  try {
    const report = await verifyStore(log, keyring);
    let temporal: HeadComparison | { skipped: string } | null = null;
    const chainId = await log.chainId();
    if (withTemporal && chainId) {
      const { connectClient } = await import('../connection');
      const { temporalSettingsFromEnv } = await import('../../lib/temporal-settings');
      try {
        const client = await connectClient(temporalSettingsFromEnv());
        try {
          temporal = await compareWithTemporal(
            client,
            chainId,
            async (position) => (await log.records({ afterPosition: position - 1, limit: 1 }))[0],
          );
        } finally {
          await client.connection.close();
        }
      } catch (err) {
        temporal = { skipped: (err as Error).message };
      }
    }
    return { where: log.location, report, temporal };
  } finally {
    await log.close();
  }
}

async function verifyFile(file: string, keyring: AuditKeyring): Promise<ChainReport> {
  const { ChainVerifier } = await import('../../lib/audit/verify-chain');
  // An export `--since` holds part of the chain: it is checked from where it begins.
  const verifier = new ChainVerifier(keyring, { segment: true });
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let number = 0;
  for await (const line of lines) {
    number++;
    if (!line.trim()) continue;
    let record: ChainedEntry;
    try {
      record = JSON.parse(line) as ChainedEntry;
    } catch {
      throw new UsageError(`${file}:${number} is not a JSON line: is it a \`runbook audit export --format jsonl\`?`);
    }
    verifier.add(record);
  }
  return verifier.report();
}

export function describeReport(
  where: string,
  report: ChainReport,
  temporal: HeadComparison | { skipped: string } | null,
): string {
  const lines: string[] = [];
  const keys = report.keyIds.length ? `, signed by audit key ${report.keyIds.join(', ')}` : '';
  if (report.checked === 0) lines.push(`The audit trail ${where} is empty: nothing to verify.`);
  else if (report.ok) {
    lines.push(
      `The audit trail ${where} is intact: ${report.checked} record${report.checked === 1 ? '' : 's'}, each in its place with its hash and signature${keys}.`,
    );
    lines.push(`Its last record is ${report.head!.position} (hash ${report.head!.hash}, ${report.goodThrough!.at}).`);
    if (report.startsAt)
      lines.push(
        `It begins at record ${report.startsAt} (an export of part of the trail): its link to record ${report.startsAt - 1} is checked only against the whole trail.`,
      );
  } else {
    const bad = report.firstBreak!;
    lines.push(`The audit trail ${where} has been tampered with.`);
    lines.push(
      `First bad record: position ${bad.position} (run ${bad.record.workflowId}, record ${bad.record.seq}, ${bad.record.at}: "${bad.record.summary}").`,
    );
    lines.push(`What is wrong: ${bad.message}.`);
    lines.push(
      report.goodThrough
        ? `The chain is good through record ${report.goodThrough.position} (${report.goodThrough.at}); the ${report.checked - report.goodThrough.position} record(s) from ${bad.position} on cannot be trusted.`
        : 'No record can be trusted: the chain is bad from its first record.',
    );
    lines.push(
      "What to do: compare with the copy in the worker's log drain (each record is logged with its hash) or a verified export, and find out who could write to the audit database.",
    );
  }
  if (temporal && 'skipped' in temporal) lines.push(`Not compared with Temporal (${temporal.skipped}).`);
  else if (temporal) {
    if (temporal.mismatches.length === 0)
      lines.push(
        `Temporal: the last records of the ${temporal.compared} ended run(s) it keeps are all in the trail, as written.`,
      );
    else {
      lines.push(`Temporal disagrees with the trail (${temporal.mismatches.length} of ${temporal.compared} runs):`);
      for (const mismatch of temporal.mismatches.slice(0, 10)) lines.push(`  ${mismatch.message}`);
    }
  }
  return lines.join('\n');
}
