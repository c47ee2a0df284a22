// What a chaos run does, drawn from its seed: which runbooks operators launch, and which faults Heroku (the
// simulator) injects. The same seed gives the same runs and the same fault rules; when the faults land depends on
// the machine's timing.
import type { RunbookId } from '../../common/runbooks';
import { PRODUCTION_APP, STAGING_APP } from '../../simulator';
import type { FaultRuleInput } from '../../simulator/faults';

export interface PlannedRun {
  /** chaos-<seed>-<n>-<runbook>: given to the CLI, so a launch retried after a lost answer cannot start twice. */
  workflowId: string;
  runbook: RunbookId;
  environment: 'production' | 'staging';
  app: string;
  /** The `runbook run <runbook>` flags, after `--env`. */
  flags: string[];
  /** A sealed config-var value set by this run, in plain text (the secret scan looks for it everywhere). */
  secret?: string;
}

/** Step runbooks an operator runs on staging; each changes the app, so each takes its lock. */
const STEP_RUNBOOKS: Array<
  (n: number, random: () => number) => Omit<PlannedRun, 'workflowId' | 'environment' | 'app'>
> = [
  () => ({ runbook: 'maintenance-on', flags: [] }),
  () => ({ runbook: 'maintenance-off', flags: [] }),
  (_n, random) => ({ runbook: 'scale-dynos', flags: ['--process', `web=${1 + Math.floor(random() * 3)}`] }),
  () => ({ runbook: 'capture-backup', flags: [] }),
  () => ({ runbook: 'run-command', flags: ['--command', 'python manage.py check --deploy'] }),
  (n) => {
    // A value only this run knows: if it shows up in any history, log or record, the scan finds it.
    const secret = `chaos-secret-${n}-${Math.random().toString(36).slice(2, 14)}`;
    return { runbook: 'set-config-vars', flags: ['--set', `CHAOS_TOKEN=${secret}`], secret };
  },
  () => ({ runbook: 'set-config-vars', flags: ['--generate', 'SECRET_KEY=django-secret-key'] }),
  () => ({ runbook: 'schedule-backups', flags: ['--at', '03:00 America/New_York'] }),
  () => ({ runbook: 'rebuild-search-index', flags: [] }),
];

/**
 * `count` runs: every third a disaster recovery of production from b016 (approved by a second person), the rest
 * step runbooks on staging, in a seeded order. The first two step runbooks are fixed, so even a short run (the
 * suite's) covers a backup and a one-off dyno.
 */
export function planRuns(count: number, seed: number, random: () => number): PlannedRun[] {
  const runs: PlannedRun[] = [];
  for (let n = 1; n <= count; n++) {
    const id = (runbook: string) => `chaos-${seed}-${String(n).padStart(3, '0')}-${runbook}`;
    if (n % 3 === 1) {
      runs.push({
        workflowId: id('disaster-recovery'),
        runbook: 'disaster-recovery',
        environment: 'production',
        app: PRODUCTION_APP,
        flags: ['--backup', 'b016'],
      });
      continue;
    }
    const steps = runs.filter((run) => run.environment === 'staging').length;
    const pick = steps === 0 ? 3 : steps === 1 ? 4 : Math.floor(random() * STEP_RUNBOOKS.length);
    const step = STEP_RUNBOOKS[pick](n, random);
    runs.push({
      ...step,
      workflowId: id(step.runbook),
      environment: 'staging',
      app: STAGING_APP,
      // Several are launched at once: they take turns on the app's lock instead of being refused.
      flags: [...step.flags, '--wait-for-lock'],
    });
  }
  return runs;
}

/** The requests whose side effect must happen once however often they are retried. */
export const NON_IDEMPOTENT = [
  { method: 'POST', path: '/client/v11/databases/*/backups', what: 'capture' },
  { method: 'POST', path: '/client/v11/databases/*/restores', what: 'restore' },
  { method: 'POST', path: '/apps/*/dynos', what: 'dyno create' },
  { method: 'PATCH', path: '/apps/*/config-vars', what: 'config change' },
] as const;

/**
 * Heroku at its worst, as the issue asks: 10 % 5xx, 5 % 429, connection resets and added latency on every request,
 * and on the non-idempotent ones, apply-then-fail (the change is made, then the answer is an error, a dropped
 * connection, or held back long enough for the driver to kill the worker waiting for it). First match wins, so the
 * specific rules come first; their probabilities are of the requests that reach them.
 */
export function faultRules(): FaultRuleInput[] {
  const applyThenFail = NON_IDEMPOTENT.flatMap(({ method, path }) => [
    { method, path, action: 'apply-then-fail' as const, then: 'error' as const, probability: 0.12 },
    { method, path, action: 'apply-then-fail' as const, then: 'drop' as const, probability: 0.1 },
    // The window the driver kills workers in (see driver.ts): the change is made and its answer held back.
    { method, path, action: 'apply-then-fail' as const, then: 'delay' as const, latencyMs: 4_000, probability: 0.3 },
  ]);
  return [
    ...applyThenFail,
    { path: '/**', action: 'reset', probability: 0.02 },
    { path: '/**', action: 'error', status: 429, probability: 0.05 },
    { path: '/**', action: 'error', status: 500, probability: 0.05 },
    { path: '/**', action: 'error', status: 503, probability: 0.0527 }, // 5 % of what the 500 rule let through
    { path: '/**', action: 'latency', latencyMs: 250, probability: 0.1 },
    { path: '/**', action: 'latency', latencyMs: 2_000, probability: 0.02 },
  ];
}

/** The fault kinds the report counts, by the rule that fired. */
export function faultKind(rule: { action: string; status?: number; then?: string }): string {
  if (rule.action === 'apply-then-fail') return `apply-then-${rule.then ?? 'error'}`;
  if (rule.action === 'error') return rule.status === 429 ? '429' : '5xx';
  return rule.action; // reset, latency
}
