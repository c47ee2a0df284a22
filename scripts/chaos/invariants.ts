// What must hold after a chaos run, checked from what the engine does not control: the simulator's record of the
// changes Heroku applied (each tied, by its Request-Id, to the request and so to the runbook activity that asked
// for it), the final state, Temporal's own view of each run, and the signed audit trail. Pure functions of the
// evidence, so test/chaos.test.ts can show that each one catches what it is meant to catch.
import type { CallRecord, Effect, SimulatorState } from '../../simulator';
import type { ChainedEntry } from '../../lib/audit/chain';
import type { ChainReport } from '../../lib/audit/verify-chain';
import { inMaintenance, type AppSnapshot } from './app-snapshot';

export interface RunRecord {
  workflowId: string;
  runId?: string;
  runbook: string;
  app: string;
  environment: string;
  /** succeeded / failed as the CLI printed it; cli-lost when it printed no outcome. */
  status: string;
  error?: string;
  errorType?: string;
  /** Every CLI process of this run (launch, relaunches, approvals), briefly. */
  cli: Array<{ code: number | null; signal: string | null; hung: boolean; stderrTail: string }>;
  secret?: string;
  approvals?: number;
  done?: boolean;
  /** A disaster recovery's app before it was launched and after it ended. */
  before?: AppSnapshot;
  after?: AppSnapshot;
}

export interface Violation {
  invariant: string;
  run: string | null;
  detail: string;
}

export interface ChaosEvidence {
  records: RunRecord[];
  executions: Array<{ workflowId: string; runId: string; type: string; status: string; memo?: unknown }>;
  stillOpen: Array<{ workflowId: string; type: string }>;
  auditEntries: ChainedEntry[];
  chain: ChainReport;
  effects: Effect[];
  calls: CallRecord[];
  faultRules: Array<{ action: string; status?: number; then?: string; hits: number }>;
  finalState: SimulatorState;
  secrets: string[];
  secretPlaces: Array<{ where: string; text: string }>;
}

/** Effects that are no change to the app: reading its logs; and the consequences time brings (no request). */
const NOT_CHANGES = new Set(['log-session']);

export const REQUESTER_EMAIL = 'alice@csis.example';
export const APPROVER_EMAIL = 'bob@csis.example';

interface Sender {
  workflowId: string;
  runId: string;
  activityId: string;
  activityType: string;
}

/** A change Heroku applied at a request, with the activity that sent the request. */
interface AttributedChange {
  effect: Effect;
  sender: Sender | null;
}

export function parseSender(header: string | null): Sender | null {
  if (!header) return null;
  const parts = header.split(' ').map(decodeURIComponent);
  if (parts.length !== 4) return null;
  const [workflowId, runId, activityId, activityType] = parts;
  return { workflowId, runId, activityId, activityType };
}

/** Every change made at a request (time's consequences carry no Request-Id), with who sent the request. */
export function attributeChanges(effects: Effect[], calls: CallRecord[]): AttributedChange[] {
  const byRequestId = new Map(calls.map((call) => [call.requestId, call]));
  return effects
    .filter((effect) => typeof effect.requestId === 'string' && !NOT_CHANGES.has(effect.kind))
    .map((effect) => ({ effect, sender: parseSender(byRequestId.get(effect.requestId as string)?.sender ?? null) }));
}

export function checkInvariants(evidence: ChaosEvidence): Violation[] {
  const changes = attributeChanges(evidence.effects, evidence.calls);
  return [
    ...everyRunEnded(evidence),
    ...everyChangeHasASender(changes),
    ...oncePerStep(changes),
    ...disasterRecoveries(evidence, changes),
    ...failedRunsLeaveWhatTheySay(evidence, changes),
    ...auditComplete(evidence, changes),
    ...noOverlapPerApp(changes),
  ];
}

/** Every run ends, in Temporal as the CLI reported it, and nothing is left running or was ended from outside. */
export function everyRunEnded(evidence: ChaosEvidence): Violation[] {
  const violations: Violation[] = [];
  const temporalStatus = { succeeded: 'COMPLETED', failed: 'FAILED' } as Record<string, string>;
  for (const record of evidence.records) {
    if (!(record.status in temporalStatus)) {
      violations.push({ invariant: 'every run ends', run: record.workflowId, detail: record.error ?? record.status });
      continue;
    }
    const execution = evidence.executions.find(
      (candidate) => candidate.workflowId === record.workflowId && candidate.runId === record.runId,
    );
    if (execution?.status !== temporalStatus[record.status]) {
      violations.push({
        invariant: 'the terminal state matches the result',
        run: record.workflowId,
        detail: `the CLI said ${record.status}; Temporal says ${execution?.status ?? 'no such run'}`,
      });
    }
  }
  for (const open of evidence.stillOpen) {
    violations.push({ invariant: 'every run ends', run: open.workflowId, detail: `${open.type} is still running` });
  }
  for (const execution of evidence.executions) {
    if (execution.status === 'TERMINATED' || execution.status === 'TIMED_OUT') {
      violations.push({
        invariant: 'every run ends by itself',
        run: execution.workflowId,
        detail: `${execution.type} ended ${execution.status}`,
      });
    }
  }
  return violations;
}

/** Nothing but the engine's activities changed the apps (the driver changes nothing itself). */
export function everyChangeHasASender(changes: AttributedChange[]): Violation[] {
  return changes
    .filter((change) => change.sender === null)
    .map((change) => ({
      invariant: 'every change comes from a runbook step',
      run: null,
      detail: `${change.effect.kind} on ${change.effect.app} (effect ${change.effect.seq}) was made by a request no runbook activity sent`,
    }));
}

/**
 * No step's backup, restore, dyno or release twice: per activity (retries share its ID) at most one of each; per
 * run at most one dyno per command and one backup or restore per activity type.
 */
export function oncePerStep(changes: AttributedChange[]): Violation[] {
  const violations: Violation[] = [];
  const count = new Map<string, AttributedChange[]>();
  const add = (key: string, change: AttributedChange) => count.set(key, [...(count.get(key) ?? []), change]);
  for (const change of changes) {
    const { effect, sender } = change;
    if (!sender) continue;
    const run = `${sender.workflowId}/${sender.runId}`;
    if (['backup', 'restore', 'dyno-create', 'release'].includes(effect.kind)) {
      add(`${run}|activity ${sender.activityId} (${sender.activityType})|${effect.kind}`, change);
    }
    if (effect.kind === 'backup' || effect.kind === 'restore')
      add(`${run}|${sender.activityType}|${effect.kind}`, change);
    if (effect.kind === 'dyno-create') add(`${run}|command ${String(effect.command)}|dyno-create`, change);
  }
  for (const [key, found] of count) {
    if (found.length < 2) continue;
    const [run, where, kind] = key.split('|');
    violations.push({
      invariant: 'no backup, restore, dyno or release twice',
      run: run.split('/')[0],
      detail: `${found.length}× ${kind} for ${where} (effects ${found.map((change) => change.effect.seq).join(', ')})`,
    });
  }
  return violations;
}

function changesOf(changes: AttributedChange[], workflowId: string): AttributedChange[] {
  return changes.filter((change) => change.sender?.workflowId === workflowId);
}

function trailOf(evidence: ChaosEvidence, workflowId: string): ChainedEntry[] {
  return evidence.auditEntries.filter((entry) => entry.workflowId === workflowId).sort((a, b) => a.seq - b.seq);
}

/**
 * A disaster recovery restores exactly once when it succeeds (at most once when it fails), was started by alice and
 * approved by bob, both verified; a successful one leaves maintenance, the formation and the schedule as before.
 */
export function disasterRecoveries(evidence: ChaosEvidence, changes: AttributedChange[]): Violation[] {
  const violations: Violation[] = [];
  for (const record of evidence.records.filter((r) => r.runbook === 'disaster-recovery')) {
    const run = record.workflowId;
    const restores = changesOf(changes, run).filter((change) => change.effect.kind === 'restore');
    if (record.status === 'succeeded' ? restores.length !== 1 : restores.length > 1) {
      violations.push({
        invariant: 'exactly one restore per disaster recovery',
        run,
        detail: `${restores.length} restores for a run that ${record.status}`,
      });
    }
    const trail = trailOf(evidence, run);
    if (record.status === 'succeeded') {
      if (trail.find((entry) => entry.event === 'started')?.operator !== REQUESTER_EMAIL) {
        violations.push({
          invariant: 'started by a verified person',
          run,
          detail: `not started by ${REQUESTER_EMAIL}`,
        });
      }
      const approved = trail.some(
        (entry) => entry.event === 'approval' && entry.operator === APPROVER_EMAIL && /approved/i.test(entry.summary),
      );
      if (!approved) {
        violations.push({
          invariant: 'approved by a second verified person',
          run,
          detail: `no approval by ${APPROVER_EMAIL}`,
        });
      }
      const { before, after } = record;
      if (!before || !after) continue;
      if (inMaintenance(before) !== inMaintenance(after) || before.maintenance.flag !== after.maintenance.flag) {
        violations.push({
          invariant: 'a recovery ends with maintenance as before',
          run,
          detail: `before ${JSON.stringify(before.maintenance)}, after ${JSON.stringify(after.maintenance)}`,
        });
      }
      if (before.formation.join(' ') !== after.formation.join(' ')) {
        violations.push({
          invariant: 'a recovery ends with the formation restored',
          run,
          detail: `before ${before.formation.join(' ')}, after ${after.formation.join(' ')}`,
        });
      }
      if (!after.schedule || (before.schedule && before.schedule !== after.schedule)) {
        violations.push({
          invariant: 'a recovery ends with the backup schedule present',
          run,
          detail: `before ${before.schedule ?? 'none'}, after ${after.schedule ?? 'none'}`,
        });
      }
    }
  }
  return violations;
}

/**
 * A failed run leaves the app as it says: a disaster recovery's statement (maintenance, processes, database) is
 * compared with the app after it; a run that recorded no intent changed nothing.
 */
export function failedRunsLeaveWhatTheySay(evidence: ChaosEvidence, changes: AttributedChange[]): Violation[] {
  const violations: Violation[] = [];
  for (const record of evidence.records.filter((r) => r.status === 'failed')) {
    const run = record.workflowId;
    const trail = trailOf(evidence, run);
    const own = changesOf(changes, run);
    if (!trail.some((entry) => entry.event === 'intent') && own.length > 0) {
      violations.push({
        invariant: 'a failed run leaves the state it states',
        run,
        detail: `it recorded no change, yet Heroku applied ${own.map((c) => c.effect.kind).join(', ')}`,
      });
    }
    if (record.runbook !== 'disaster-recovery' || !record.before || !record.after) continue;
    const compensation = trail.find((entry) => entry.event === 'compensation');
    const left = (compensation?.details as { left?: { maintenance: string; processes: string; database: string } })
      ?.left;
    if (!left) {
      // Failed before changing anything (planning, approval): the app must be exactly as before.
      if (JSON.stringify(record.before) !== JSON.stringify(record.after)) {
        violations.push({
          invariant: 'a failed run leaves the state it states',
          run,
          detail: `no compensation recorded, yet the app changed: ${JSON.stringify(record.before)} → ${JSON.stringify(record.after)}`,
        });
      }
      continue;
    }
    const problems: string[] = [];
    const maintenance = inMaintenance(record.after);
    if ((left.maintenance === 'on' && !maintenance) || (left.maintenance === 'off' && maintenance))
      problems.push(`it says maintenance ${left.maintenance}, the app is ${maintenance ? 'in' : 'out of'} maintenance`);
    const quiet = ['worker', 'scheduler'];
    const quantities = (snapshot: AppSnapshot) =>
      snapshot.formation.filter((p) => quiet.includes(p.split('=')[0])).join(' ');
    if (left.processes === 'as before' && quantities(record.before) !== quantities(record.after))
      problems.push(`it says processes as before: ${quantities(record.before)} → ${quantities(record.after)}`);
    if (left.processes === 'quiet' && !/=0:/.test(quantities(record.after)))
      problems.push(`it says processes quiet, they are ${quantities(record.after)}`);
    const restores = own.filter((change) => change.effect.kind === 'restore');
    if (left.database === 'untouched' && restores.length > 0)
      problems.push('it says the database is untouched, but it was restored');
    if (left.database === 'restored' && restores.length === 0)
      problems.push('it says the database was restored; no restore was made');
    if (problems.length > 0) {
      violations.push({ invariant: 'a failed run leaves the state it states', run, detail: problems.join('; ') });
    }
  }
  return violations;
}

/**
 * The trail is complete and verifies: each run's records are numbered without gaps from its start to one end that
 * matches its outcome; every activity that changed the app has its intent on record, and every intent its outcome.
 */
export function auditComplete(evidence: ChaosEvidence, changes: AttributedChange[]): Violation[] {
  const violations: Violation[] = [];
  if (!evidence.chain.ok) {
    violations.push({
      invariant: 'the audit trail verifies',
      run: null,
      detail: `broken at ${JSON.stringify(evidence.chain.firstBreak)}`,
    });
  }
  for (const record of evidence.records) {
    const run = record.workflowId;
    const trail = trailOf(evidence, run).filter((entry) => !record.runId || entry.runId === record.runId);
    const missing: string[] = [];
    trail.forEach((entry, index) => {
      if (entry.seq !== index) missing.push(`record ${index} missing (next is ${entry.seq})`);
    });
    if (trail[0]?.event !== 'started') missing.push('no start');
    const ends = trail.filter((entry) => ['succeeded', 'failed', 'ended'].includes(entry.event));
    if (ends.length !== 1) missing.push(`${ends.length} end records`);
    else if (['succeeded', 'failed'].includes(record.status) && ends[0].event !== record.status)
      missing.push(`ends "${ends[0].event}" but the run ${record.status}`);
    const intents = trail.filter((entry) => entry.event === 'intent');
    const outcomes = trail.filter((entry) => entry.event === 'change');
    for (const intent of intents) {
      const activity = (intent.details as { activity?: string }).activity;
      const outcome = outcomes.find(
        (entry) => entry.seq > intent.seq && (entry.details as { activity?: string }).activity === activity,
      );
      if (!outcome) missing.push(`the intent "${intent.summary}" has no outcome`);
    }
    const activities = new Set(changesOf(changes, run).map((change) => change.sender!.activityType));
    for (const activity of activities) {
      if (!intents.some((intent) => (intent.details as { activity?: string }).activity === activity))
        missing.push(`${activity} changed the app without an intent on record`);
    }
    if (missing.length > 0)
      violations.push({ invariant: 'the audit trail is complete', run, detail: missing.join('; ') });
  }
  return violations;
}

/** No two changing runbooks on one app overlap: each run's changes form one block in Heroku's order of changes. */
export function noOverlapPerApp(changes: AttributedChange[]): Violation[] {
  const violations: Violation[] = [];
  const apps = new Set(changes.map((change) => change.effect.app));
  for (const app of apps) {
    const spans = new Map<string, { first: number; last: number }>();
    for (const { effect, sender } of changes) {
      if (effect.app !== app || !sender) continue;
      const span = spans.get(sender.workflowId) ?? { first: effect.seq, last: effect.seq };
      span.first = Math.min(span.first, effect.seq);
      span.last = Math.max(span.last, effect.seq);
      spans.set(sender.workflowId, span);
    }
    const ordered = [...spans.entries()].sort((a, b) => a[1].first - b[1].first);
    for (let i = 1; i < ordered.length; i++) {
      const [previous, earlier] = ordered[i - 1];
      const [current, later] = ordered[i];
      if (later.first < earlier.last) {
        violations.push({
          invariant: 'no two changing runbooks on one app overlap',
          run: current,
          detail: `on ${app}, its changes (effects ${later.first}–${later.last}) interleave with ${previous}'s (${earlier.first}–${earlier.last})`,
        });
      }
    }
  }
  return violations;
}
