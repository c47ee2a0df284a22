import type { AuditEntry } from '../common/audit';
import { formatBytes } from '../common/backups';
import {
  describeRecordedPerson,
  formatDuration,
  formatTime,
  type RecordedPerson,
  type RunSummary,
} from './run-summary';

// `runbook show`: one run's timeline from the audit trail, each record with the Heroku artefacts it names.

/** What a record names on Heroku, or of an approval: the facts `runbook show` prints beside its summary. */
export interface Artefacts {
  release?: number;
  /** A backup by name (b016), and where known its status and size. */
  backup?: string;
  restore?: string;
  transfer?: { name: string; status: string; bytes: number | null };
  dyno?: string;
  command?: string;
  exitStatus?: number | null;
  herokuRequestIds?: string[];
  planHash?: string;
  approved?: RecordedPerson[];
  rejectedBy?: RecordedPerson;
  refused?: { by: RecordedPerson; why: string };
  requester?: RecordedPerson;
  /** How the run left the app (a compensation's or a failed end's statement). */
  left?: string;
}

export interface TimelineItem {
  seq: number;
  at: string;
  event: AuditEntry['event'];
  operator: string;
  summary: string;
  artefacts: Artefacts;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value ? value : undefined);
const object = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;

function person(name: string): RecordedPerson {
  return { name, verified: !/^unverified\b/.test(name) && name !== 'unknown' };
}

function transferOf(value: unknown): Artefacts['transfer'] | undefined {
  const transfer = object(value);
  const name = text(transfer?.name);
  // A change record's `transfer` names the transfer it started ({ uuid, num, name }): its state is in the notice.
  if (!transfer || !name || text(transfer.status) === undefined) return undefined;
  const bytes = transfer.processedBytes ?? transfer.sourceBytes;
  return { name, status: text(transfer.status) ?? 'unknown', bytes: typeof bytes === 'number' ? bytes : null };
}

/** The artefacts a record's details name (whatever runbook wrote it; a field it lacks is left out). */
export function artefactsOf(entry: AuditEntry): Artefacts {
  const d = entry.details;
  const found: Artefacts = {};
  const release = object(d.release)?.version;
  if (typeof release === 'number') found.release = release;
  if (text(d.backup)) found.backup = text(d.backup);
  if (text(d.restore)) found.restore = text(d.restore);
  const transfer = transferOf(d.transfer) ?? transferOf(d.after);
  if (transfer) found.transfer = transfer;
  if (text(d.dyno)) found.dyno = text(d.dyno);
  if (text(d.command)) found.command = text(d.command);
  if (typeof d.exitStatus === 'number' || (d.exitStatus === null && d.activity === 'watchOneOffDyno'))
    found.exitStatus = d.exitStatus as number | null;
  if (Array.isArray(d.herokuRequestIds) && d.herokuRequestIds.length)
    found.herokuRequestIds = d.herokuRequestIds.filter((id): id is string => typeof id === 'string');
  if (entry.event === 'approval') {
    const decision = object(d.decision);
    if (text(d.hash)) found.planHash = text(d.hash);
    if (decision && text(decision.planHash)) found.planHash = text(decision.planHash);
    if (decision?.decision === 'approved' && text(decision.by))
      found.approved = text(decision.by)!.split(' and ').map(person);
    if (decision?.decision === 'rejected' && text(decision.by)) found.rejectedBy = person(text(decision.by)!);
    const partial = object(d.approval);
    if (partial && text(partial.by)) found.approved = [person(text(partial.by)!)];
    const refused = object(d.refused);
    if (refused) found.refused = { by: person(text(refused.by) ?? entry.operator), why: text(refused.why) ?? '' };
  }
  if (entry.event === 'started') {
    const requester = object(d.requester);
    found.requester =
      typeof requester?.verified === 'boolean'
        ? { name: entry.operator, verified: requester.verified }
        : person(entry.operator);
  }
  const left = text(d.left) ?? text(object(d.left)?.statement);
  if (left && (entry.event === 'compensation' || entry.event === 'failed')) found.left = left;
  return found;
}

export function timelineOf(entries: readonly AuditEntry[]): TimelineItem[] {
  return [...entries]
    .sort((a, b) => a.seq - b.seq)
    .map((entry) => ({
      seq: entry.seq,
      at: entry.at,
      event: entry.event,
      operator: entry.operator,
      summary: entry.summary,
      artefacts: artefactsOf(entry),
    }));
}

/** How the run left the app, as its trail says: a failed end's or a compensation's statement, else its end. */
export function leftStateOf(run: RunSummary, timeline: readonly TimelineItem[]): string {
  const stated = [...timeline].reverse().find((item) => item.artefacts.left)?.artefacts.left;
  if (stated) return stated;
  if (run.outcome === 'running') return 'not known yet: the run has no end on the record (still running?).';
  if (run.outcome === 'succeeded') return `as the runbook intended: ${run.endSummary}`;
  return run.endSummary ?? 'not recorded.';
}

function describeArtefacts(a: Artefacts): string[] {
  const facts: string[] = [];
  if (a.requester) facts.push(`requester ${describeRecordedPerson(a.requester)}`);
  if (a.planHash) facts.push(`plan ${a.planHash}`);
  if (a.approved) facts.push(`approved by ${a.approved.map(describeRecordedPerson).join(' and ')}`);
  if (a.rejectedBy) facts.push(`rejected by ${describeRecordedPerson(a.rejectedBy)}`);
  if (a.refused) facts.push(`refused: sent by ${describeRecordedPerson(a.refused.by)}`);
  if (a.release !== undefined) facts.push(`release v${a.release}`);
  if (a.backup) facts.push(`backup ${a.backup}`);
  if (a.restore) facts.push(`restore ${a.restore}`);
  if (a.transfer) facts.push(`${a.transfer.name}: ${a.transfer.status}, ${formatBytes(a.transfer.bytes)}`);
  if (a.dyno) facts.push(`dyno ${a.dyno}`);
  if (a.exitStatus !== undefined) facts.push(a.exitStatus === null ? 'no exit status' : `exit status ${a.exitStatus}`);
  if (a.herokuRequestIds) facts.push(`Request-Id ${a.herokuRequestIds.join(', ')}`);
  return facts;
}

function describeRun(run: RunSummary): string {
  return `${run.outcome}${run.endedAt ? ` in ${formatDuration(run.durationSeconds)}` : ''} (started ${formatTime(run.startedAt)}${run.endedAt ? `, ended ${formatTime(run.endedAt)}` : ''})`;
}

/** The run's timeline on a terminal: a header (who, approvers, outcome, other runs), each record, the app's state. */
export function formatShow(
  run: RunSummary,
  timeline: readonly TimelineItem[],
  others: readonly RunSummary[],
  location: string,
): string {
  const where = run.app ? ` on ${run.app}${run.environment ? ` (${run.environment})` : ''}` : '';
  const lines = [
    `${run.runbook}${where}: ${run.workflowId}, run ${run.runId}`,
    `  Requested by ${describeRecordedPerson(run.requester)}` +
      (run.approvers.length ? `; approved by ${run.approvers.map(describeRecordedPerson).join(' and ')}` : ''),
    `  Outcome: ${describeRun(run)}${run.why ? `: ${run.why}` : ''}`,
  ];
  if (others.length) {
    lines.push(`  This workflow ID has ${others.length + 1} runs on the record; this is the latest. The others:`);
    for (const other of others)
      lines.push(
        `    ${other.runId}: ${describeRun(other)} — \`runbook show ${run.workflowId} --run-id ${other.runId}\``,
      );
  }
  lines.push(`  From the audit trail (${location}), which outlives Temporal's retention.`, '', 'Timeline:');
  for (const item of timeline) {
    lines.push(`  ${formatTime(item.at)}  ${item.event.padEnd(12)}  ${item.summary}`);
    const facts = describeArtefacts(item.artefacts);
    if (facts.length) lines.push(`  ${' '.repeat(22)}${' '.repeat(14)}↳ ${facts.join('; ')}`);
  }
  lines.push('', `How the app was left: ${leftStateOf(run, timeline)}`);
  return lines.join('\n');
}
