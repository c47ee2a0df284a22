// The chaos run, small and with a fixed seed (`npm run chaos` is the 30-run version): a production disaster recovery
// approved by a second person and step runbooks on staging, launched with the CLI while workers are SIGKILLed, the
// Temporal dev server is crashed and restarted on its database, and Heroku fails in every way it can. Zero
// violations. Then each invariant is shown to catch what it is for, on evidence with one thing planted.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CallRecord, Effect } from '../simulator';
import { runChaos, type ChaosReport } from '../scripts/chaos/driver';
import {
  APPROVER_EMAIL,
  auditComplete,
  disasterRecoveries,
  everyChangeHasASender,
  everyRunEnded,
  failedRunsLeaveWhatTheySay,
  noOverlapPerApp,
  oncePerStep,
  attributeChanges,
  REQUESTER_EMAIL,
  type ChaosEvidence,
  type RunRecord,
} from '../scripts/chaos/invariants';
import { scanForSecrets } from '../scripts/chaos/secret-scan';
import type { ChainedEntry } from '../lib/audit/chain';

describe('a short chaos run', () => {
  let dir: string;
  let report: ChaosReport;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'chaos-'));
    report = await runChaos({
      runs: 3,
      seed: 11,
      dir: path.join(dir, 'run'),
      // Sooner and surer than the seeded draw: one kill and one crash of the server whatever the machine's speed.
      firstEvents: ['kill', 'restart'],
      chaosEverySeconds: [8, 15],
    });
  }, 20 * 60_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('has no violation, and the chaos really happened', () => {
    expect(report.violations).toEqual([]);
    expect(report.runs).toBe(3);
    expect(report.disasterRecoveries.succeeded + report.disasterRecoveries.failed).toBe(1);
    expect(report.workerKills).toBeGreaterThanOrEqual(1);
    expect(report.temporalRestarts).toBeGreaterThanOrEqual(1);
    // Faults of several kinds fired (which ones, and how often, depends on the traffic).
    const fired = Object.entries(report.faults).filter(([, hits]) => hits > 0);
    expect(fired.length).toBeGreaterThanOrEqual(3);
    expect(report.secretScan.secrets).toBeGreaterThanOrEqual(5);
    // The scan read every history, the CLI's output and each worker's (its log copy of the trail) and the trail.
    expect(report.secretScan.placesScanned).toBeGreaterThan(report.runs + 3);
  });

  test('every run that did not succeed says why', () => {
    for (const run of report.runsDetail.filter((r) => r.status !== 'succeeded')) {
      expect(run.error).toMatch(/\w{10,}/);
    }
  });
});

// ── Each invariant catches what it is for ─────────────────────────────────────────────────────────────────────

const DR = 'chaos-1-001-disaster-recovery';
const STEP = 'chaos-1-002-capture-backup';
const sender = (workflowId: string, activityId: string, type: string) =>
  [workflowId, 'run-1', activityId, type].map(encodeURIComponent).join(' ');

let seq = 0;
function change(
  kind: string,
  app: string,
  from: string | null,
  detail: Record<string, unknown> = {},
): { effect: Effect; call: CallRecord } {
  seq++;
  const requestId = `request-${seq}`;
  return {
    effect: { seq, kind, app, time: '2026-12-02T00:00:00Z', requestId, ...detail } as Effect,
    call: {
      seq,
      time: '2026-12-02T00:00:00Z',
      receivedAt: '2026-12-02T00:00:00.000Z',
      method: 'POST',
      path: '/x',
      query: {},
      body: null,
      status: 201,
      requestId,
      sender: from,
    },
  };
}

function trail(workflowId: string, events: Array<[string, Record<string, unknown>?, string?]>): ChainedEntry[] {
  return events.map(([event, details = {}, operator = REQUESTER_EMAIL], index) => ({
    workflowId,
    runId: 'run-1',
    seq: index,
    runbook: 'r',
    event,
    operator,
    app: null,
    environment: null,
    summary: event === 'approval' ? 'plan approved' : event,
    details,
    at: '2026-12-02T00:00:00Z',
    position: index,
    hash: 'h',
    previousHash: 'p',
    keyId: 'k',
    signature: 's',
  })) as unknown as ChainedEntry[];
}

function evidence(parts: Array<{ effect: Effect; call: CallRecord }>, overrides: Partial<ChaosEvidence> = {}) {
  return {
    records: [],
    executions: [],
    stillOpen: [],
    auditEntries: [],
    chain: { ok: true, checked: 0, goodThrough: null, head: null, keyIds: [] },
    effects: parts.map((part) => part.effect),
    calls: parts.map((part) => part.call),
    faultRules: [],
    finalState: {} as ChaosEvidence['finalState'],
    secrets: [],
    secretPlaces: [],
    ...overrides,
  } satisfies ChaosEvidence;
}

const snapshot = (maintenance: boolean, worker = 1) => ({
  maintenance: { flag: false, configVar: maintenance ? 'True' : null },
  formation: [`web=2:Standard-1X`, `worker=${worker}:Standard-1X`],
  schedule: 'DATABASE_URL 2 America/New_York',
});

const drRecord = (status: string, overrides: Partial<RunRecord> = {}): RunRecord => ({
  workflowId: DR,
  runId: 'run-1',
  runbook: 'disaster-recovery',
  app: 'alfa',
  environment: 'production',
  status,
  cli: [],
  before: snapshot(false),
  after: snapshot(false),
  ...overrides,
});

test('two restores in one disaster recovery, and a backup twice in one step, are violations', () => {
  const parts = [
    change('restore', 'alfa', sender(DR, '24', 'startRestore')),
    change('restore', 'alfa', sender(DR, '31', 'startRestore')),
    change('backup', 'bravo', sender(STEP, '6', 'startBackupCapture')),
    change('backup', 'bravo', sender(STEP, '6', 'startBackupCapture')),
  ];
  const changes = attributeChanges(
    parts.map((p) => p.effect),
    parts.map((p) => p.call),
  );
  expect(oncePerStep(changes).map((v) => v.run)).toEqual(expect.arrayContaining([DR, STEP]));
  const dr = disasterRecoveries(evidence(parts, { records: [drRecord('succeeded')] }), changes);
  expect(dr.map((v) => v.invariant)).toContain('exactly one restore per disaster recovery');
  // One restore per run, each in its own step, is fine.
  const fine = attributeChanges([parts[0].effect], [parts[0].call]);
  expect(oncePerStep(fine)).toEqual([]);
});

test("interleaved changes of two runs on one app, and a change nobody's step sent, are violations", () => {
  const other = 'chaos-1-003-maintenance-on';
  const parts = [
    change('formation', 'bravo', sender(STEP, '5', 'scaleFormation')),
    change('release', 'bravo', sender(other, '7', 'setMaintenanceConfigVar')),
    change('backup', 'bravo', sender(STEP, '9', 'startBackupCapture')),
    change('release', 'bravo', null),
  ];
  const changes = attributeChanges(
    parts.map((p) => p.effect),
    parts.map((p) => p.call),
  );
  expect(noOverlapPerApp(changes)).toHaveLength(1);
  expect(everyChangeHasASender(changes)).toHaveLength(1);
  expect(noOverlapPerApp(changes.filter((c) => c.sender?.workflowId !== other))).toEqual([]);
});

test('a recovery that left maintenance on, or was not approved by the second person, is a violation', () => {
  const parts = [change('restore', 'alfa', sender(DR, '24', 'startRestore'))];
  const changes = attributeChanges([parts[0].effect], [parts[0].call]);
  const approved = trail(DR, [['started'], ['approval', {}, APPROVER_EMAIL], ['succeeded']]);
  const ok = evidence(parts, { records: [drRecord('succeeded')], auditEntries: approved });
  expect(disasterRecoveries(ok, changes)).toEqual([]);
  const leftOn = evidence(parts, {
    records: [drRecord('succeeded', { after: snapshot(true) })],
    auditEntries: approved,
  });
  expect(disasterRecoveries(leftOn, changes).map((v) => v.invariant)).toEqual([
    'a recovery ends with maintenance as before',
  ]);
  const selfApproved = evidence(parts, {
    records: [drRecord('succeeded')],
    auditEntries: trail(DR, [['started'], ['approval'], ['succeeded']]),
  });
  expect(disasterRecoveries(selfApproved, changes).map((v) => v.invariant)).toEqual([
    'approved by a second verified person',
  ]);
});

test('a failed recovery whose statement does not match the app is a violation', () => {
  const left = { maintenance: 'off', processes: 'as before', database: 'untouched' };
  const entries = trail(DR, [['started'], ['intent', { activity: 'x' }], ['compensation', { left }], ['failed']]);
  const matches = evidence([], { records: [drRecord('failed')], auditEntries: entries });
  expect(failedRunsLeaveWhatTheySay(matches, [])).toEqual([]);
  const stillOn = evidence([], {
    records: [drRecord('failed', { after: snapshot(true, 0) })],
    auditEntries: entries,
  });
  expect(failedRunsLeaveWhatTheySay(stillOn, [])[0].detail).toMatch(/maintenance off.*processes as before/s);
});

test('a trail with a gap, an intent without outcome, or a change without intent is incomplete', () => {
  const parts = [change('backup', 'bravo', sender(STEP, '6', 'startBackupCapture'))];
  const changes = attributeChanges([parts[0].effect], [parts[0].call]);
  const record: RunRecord = { ...drRecord('succeeded'), workflowId: STEP, runbook: 'capture-backup' };
  const complete = trail(STEP, [
    ['started'],
    ['intent', { activity: 'startBackupCapture' }],
    ['change', { activity: 'startBackupCapture' }],
    ['succeeded'],
  ]);
  expect(auditComplete(evidence(parts, { records: [record], auditEntries: complete }), changes)).toEqual([]);
  const gap = complete.filter((entry) => entry.seq !== 2);
  expect(auditComplete(evidence(parts, { records: [record], auditEntries: gap }), changes)[0].detail).toMatch(
    /record 2 missing.*has no outcome/s,
  );
  const noIntent = trail(STEP, [['started'], ['succeeded']]);
  expect(auditComplete(evidence(parts, { records: [record], auditEntries: noIntent }), changes)[0].detail).toMatch(
    /startBackupCapture changed the app without an intent/,
  );
});

test('a run still running, or ending differently in Temporal than the CLI said, is a violation', () => {
  const record = drRecord('succeeded');
  expect(
    everyRunEnded(
      evidence([], {
        records: [record],
        executions: [{ workflowId: DR, runId: 'run-1', type: 'disasterRecovery', status: 'FAILED' }],
        stillOpen: [{ workflowId: 'app-lock.alfa', type: 'appLock' }],
      }),
    ).map((v) => v.invariant),
  ).toEqual(['the terminal state matches the result', 'every run ends']);
});

test('the secret scan finds a secret wherever it is, and never prints it', () => {
  const secret = 'sealed-value-plaintext-123';
  const { violations } = scanForSecrets(
    [
      { where: 'history of x', text: `{"input":"${secret}"}` },
      { where: 'worker-1.log', text: 'nothing here' },
    ],
    [secret],
  );
  expect(violations).toHaveLength(1);
  expect(violations[0].detail).toContain('history of x');
  expect(violations[0].detail).not.toContain(secret);
});
