import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { z } from 'zod';
import type { ChangeActivities, ChangeActivityName } from '../activities';
import type { AuditEvent } from '../common/audit';
import type { ResolvedTarget } from '../common/environments';
import { causeChain, FailureTypes } from '../common/errors';
import { progressQuery } from '../common/messages';
import type { RunbookProgress, RunStatus, StepHandle, StepState } from '../common/progress';
import { clip, describeRejectedInput, redactInput } from '../common/redact';
import { RUNBOOKS, type RunbookId } from '../common/runbooks';
import { Environment, HerokuApp, Operator, RunbookName, RunbookOutcome } from '../common/search-attributes';
import { describeIssues } from '../common/validation';
import { workflowIdProblem } from '../common/workflow-ids';
import { changes, reads, records, starters, type StartActivityName, type WatchTiming } from './activities';
import { AppLockClaim, type LockBreak, type LockWait } from './app-lock';

/** What the UI shows when a run was started without saying who started it (the Temporal UI sends no identity). */
export const UNKNOWN_OPERATOR = 'unknown';

/** A runbook's input after its schema checked it: what the runbook's body works with. */
export type CheckedInput<N extends RunbookId> = z.output<(typeof RUNBOOKS)[N]['input']>;

export interface StepDeclaration {
  name: string;
  title: string;
}

/** How a change is put on the record: what it is about to do, and what it did. */
export interface ChangeRecord<R> {
  /** "set MAINTENANCE_MODE on csis-reconasia-bravo": recorded (as "about to …") before the change is made. */
  intent: string;
  details?: Record<string, unknown>;
  /** What was done, from the activity's result: recorded after it returned. */
  done(result: R): string | { summary: string; details?: Record<string, unknown> };
}

/** The changes that go through the heartbeating `starters` proxy (its type says which they are). */
const START_ACTIVITIES: readonly string[] = [
  'startBackupCapture',
  'startRestore',
  'startOneOffDyno',
] satisfies StartActivityName[];

/** One run of a runbook: who runs it, on what, its steps (the `progress` query), its changes and its audit trail. */
export class RunbookRun {
  operator = UNKNOWN_OPERATOR;
  private seq = 0;
  private target: ResolvedTarget | null = null;
  private readonly steps: StepState[] = [];
  private status: RunStatus = 'running';
  private lock: AppLockClaim | null = null;
  private left: string | null = null;
  /** Audit writes started outside the main flow (a lock break noticed): awaited before the run ends. */
  private readonly background: Promise<unknown>[] = [];

  constructor(readonly name: RunbookId) {
    setHandler(progressQuery, () => this.progress(), { description: 'The steps of this runbook and how far it got' });
  }

  progress(): RunbookProgress {
    return {
      runbook: this.name,
      operator: this.operator,
      app: this.target?.app ?? null,
      environment: this.target?.environment ?? null,
      status: this.status,
      currentStep: this.steps.find((step) => step.status === 'running')?.name ?? null,
      steps: this.steps.map((step) => ({ ...step })),
      leftState: this.left,
    };
  }

  /** Whether this runbook changes apps (and so takes the app's lock). */
  get mutating(): boolean {
    return RUNBOOKS[this.name].mutating;
  }

  /**
   * Lists the runbook's steps up front, all pending, so the plan is visible before anything runs. A changing
   * runbook's `lock` step follows its `resolve` step unless the runbook declares it itself.
   */
  declare(steps: StepDeclaration[]): void {
    for (const { name, title } of steps) {
      this.stepState(name, title);
      if (name === 'resolve' && this.mutating && !steps.some((s) => s.name === 'lock')) {
        this.stepState('lock', 'Take the app lock (one changing runbook per app)');
      }
    }
  }

  /** Takes the app's lock (see workflows/app-lock.ts): refused, naming the holder, unless asked to wait. */
  async lockApp(target: ResolvedTarget, wait: LockWait): Promise<void> {
    if (this.lock) return;
    this.lock = await this.step('lock', (step) =>
      AppLockClaim.acquire(target, { runbook: this.name, operator: this.operator }, wait, step, (broken) =>
        this.lockWasBroken(target, broken),
      ),
    );
  }

  /** Lets the next runbook on the app start. */
  async releaseLock(): Promise<void> {
    const lock = this.lock;
    this.lock = null;
    if (lock) await lock.release();
  }

  /** Set when this run's lock ended without its release: from then on, the run changes nothing. */
  get lockBroken(): LockBreak | null {
    return this.lock?.broken ?? null;
  }

  /**
   * Fails the run if its lock was broken from outside: called before each change (naming it), by waits that can
   * stop, and at the end (`before` null: the run made all its changes, but the app may have changed beside it).
   */
  stopIfLockBroken(before: string | null): void {
    const broken = this.lockBroken;
    if (!broken) return;
    const app = this.target?.app ?? 'the app';
    const consequence =
      before === null
        ? `, after this run's last change: another runbook may have changed ${app} beside it. Check the app (\`runbook run app-status --app ${app}\`).`
        : `: another runbook may be changing ${app}, so this run stopped before it would ${before} and makes no further change.`;
    throw ApplicationFailure.create({
      type: FailureTypes.LockBroken,
      nonRetryable: true,
      message:
        `The app lock of ${app} was broken from outside at ${broken.at} (${broken.how})${consequence}` +
        (broken.retaken === false ? ' Another run holds the lock now.' : ''),
      details: [broken],
    });
  }

  /** Runs one step: running → succeeded, or failed with the error as its detail. */
  async step<T>(name: string, body: (step: StepHandle) => Promise<T>): Promise<T> {
    const state = this.stepState(name);
    state.status = 'running';
    state.startedAt = new Date().toISOString(); // workflow time: deterministic on replay
    state.detail = null;
    try {
      const result = await body({ detail: (text) => void (state.detail = text) });
      state.status = 'succeeded';
      return result;
    } catch (err) {
      state.status = 'failed';
      state.detail = rootMessage(err);
      throw err;
    } finally {
      state.endedAt = new Date().toISOString();
    }
  }

  /** Marks a step as not needed, saying why ("already on"). */
  skip(name: string, why: string): void {
    const state = this.stepState(name);
    state.status = 'skipped';
    state.detail = why;
  }

  /** Records where the run acts, once the target is resolved: in the UI's list, the progress and the audit trail. */
  setTarget(target: ResolvedTarget): void {
    this.target = target;
    upsertSearchAttributes([
      { key: HerokuApp, value: target.app },
      { key: Environment, value: target.environment ?? 'none' },
    ]);
  }

  /** How the run leaves the app, in one paragraph, when it does not succeed: the result, `runbook status`, the trail. */
  leave(statement: string): void {
    this.left = statement;
  }

  get leftState(): string | null {
    return this.left;
  }

  /**
   * Appends to the run's audit trail (idempotent per run and position, so a retried write is not doubled). `actor`
   * is who the record is about when that is not the requester: the approver of an approval.
   */
  async audit(
    event: AuditEvent,
    summary: string,
    details: Record<string, unknown> = {},
    options: { actor?: string } = {},
  ): Promise<void> {
    const { workflowId, runId } = workflowInfo();
    await records.recordAudit({
      workflowId,
      runId,
      seq: this.seq++,
      runbook: this.name,
      event,
      operator: options.actor ?? this.operator,
      app: this.target?.app ?? null,
      environment: this.target?.environment ?? null,
      summary,
      details,
    });
  }

  /**
   * Makes one change to the app, on the record: its intent is written to the audit trail before the call and its
   * outcome after. If the intent cannot be written, the change is not made and the run fails saying so. Once begun,
   * a change runs to its end even if the run is cancelled meanwhile (the cancellation takes effect after it), so
   * nothing is left half-done or unrecorded. A run whose lock was broken makes no further change, except what
   * `despiteBrokenLock` allows: stopping what this run itself started.
   */
  async change<K extends ChangeActivityName>(
    activity: K,
    request: Parameters<ChangeActivities[K]>[0],
    record: ChangeRecord<Awaited<ReturnType<ChangeActivities[K]>>>,
    options: { timing?: WatchTiming; despiteBrokenLock?: boolean } = {},
  ): Promise<Awaited<ReturnType<ChangeActivities[K]>>> {
    if (!options.despiteBrokenLock) this.stopIfLockBroken(record.intent);
    type Result = Awaited<ReturnType<ChangeActivities[K]>>;
    const call = (
      START_ACTIVITIES.includes(activity) ? starters(options.timing)[activity as StartActivityName] : changes[activity]
    ) as (request: Parameters<ChangeActivities[K]>[0]) => Promise<Result>;
    return CancellationScope.nonCancellable(async (): Promise<Result> => {
      await this.auditOrFail(
        'intent',
        `about to ${record.intent}`,
        { activity, ...record.details },
        `nothing was changed: the run stopped before it would ${record.intent}`,
      );
      let result: Result;
      try {
        result = await call(request);
      } catch (err) {
        await this.audit('change', `failed to ${record.intent}: ${rootMessage(err)}`, {
          activity,
          outcome: 'failed',
          ...record.details,
        }).catch(() => undefined); // the failure itself is what the run reports
        throw err;
      }
      const done = record.done(result);
      const { summary, details } = typeof done === 'string' ? { summary: done, details: {} } : done;
      await this.auditOrFail(
        'change',
        summary,
        { activity, outcome: 'done', ...record.details, ...details },
        `${summary} — done on Heroku, but its outcome could not be recorded (the intent was)`,
      );
      return result;
    });
  }

  /**
   * Appends to the trail from outside the main flow (a message handler, a watch): the write is started at once and
   * awaited before the run ends. Resolves (never rejects) when it is done, for a handler that must wait for it.
   */
  auditSoon(
    event: AuditEvent,
    summary: string,
    details: Record<string, unknown> = {},
    options: { actor?: string } = {},
  ): Promise<void> {
    const write = CancellationScope.nonCancellable(() => this.audit(event, summary, details, options)).catch(
      () => undefined, // the trail is unavailable: the run's own next write fails and says so
    );
    this.background.push(write);
    return write;
  }

  /** Waits for what was started outside the main flow (audit notices) and for open Update handlers. */
  async settle(): Promise<void> {
    await CancellationScope.nonCancellable(async () => {
      await Promise.allSettled(this.background);
      await condition(allHandlersFinished);
    });
  }

  finish(status: Exclude<RunStatus, 'running'>): void {
    this.status = status;
  }

  /** Appends to the audit trail, or fails the run (AuditUnavailable) saying what that means for the app. */
  async auditOrFail(
    event: AuditEvent,
    summary: string,
    details: Record<string, unknown>,
    consequence: string,
  ): Promise<void> {
    try {
      await this.audit(event, summary, details);
    } catch (err) {
      throw ApplicationFailure.create({
        type: FailureTypes.AuditUnavailable,
        nonRetryable: true,
        message: `${rootMessage(err)}; ${consequence}. Fix the audit store (RUNBOOK_AUDIT_DB), then check the app and run the runbook again.`,
      });
    }
  }

  private lockWasBroken(target: ResolvedTarget, broken: LockBreak): void {
    const state = this.stepState('lock');
    state.status = 'failed';
    state.detail = `BROKEN at ${broken.at}: ${broken.how}; this run makes no further change${
      broken.retaken ? ' (it took the lock again while it stops)' : ' (another run holds the lock now)'
    }`;
    void this.auditSoon(
      'notice',
      `the app lock ${target.lockId} was broken from outside at ${broken.at} (${broken.how}): this run makes no further change to ${target.app}${
        broken.retaken ? '; it took the lock again while it stops' : '; another run holds the lock now'
      }`,
      { broken },
    );
  }

  private stepState(name: string, title = name): StepState {
    let state = this.steps.find((step) => step.name === name);
    if (!state) {
      state = { name, title, status: 'pending', startedAt: null, endedAt: null, detail: null };
      this.steps.push(state);
    }
    return state;
  }
}

/**
 * Runs a runbook body with its input checked first — the workflow ID too, since it reaches dyno commands — its
 * search attributes kept current (so the Temporal UI's list answers "which runbook, on which app, by whom, and how
 * did it end"), its progress answerable, and its audit trail written from start to end: also for runs that failed
 * on their input, lost their lock or were cancelled. The trail holds the input as checked and redacted (config-var
 * keys, never values); an input that failed its check is kept as its field names only.
 */
export async function runbook<N extends RunbookId, R extends { summary: string }>(
  name: N,
  rawInput: unknown,
  body: (run: RunbookRun, input: CheckedInput<N>) => Promise<R>,
): Promise<R> {
  const run = new RunbookRun(name);
  const checked = checkStart(name, rawInput);
  run.operator = checked.operator;
  upsertSearchAttributes([
    { key: RunbookName, value: name },
    { key: Operator, value: run.operator },
    // Not inherited from an earlier run ("Start Workflow Like This One" copies them): set when this run ends.
    { key: RunbookOutcome, value: null },
  ]);
  try {
    await run.auditOrFail(
      'started',
      `${name} started by ${run.operator}`,
      { input: checked.ok ? redactInput(checked.input) : describeRejectedInput(rawInput) },
      'nothing was changed: the run did not start',
    );
    if (!checked.ok) throw checked.failure;
    const result = await body(run, checked.input);
    run.stopIfLockBroken(null);
    await run.releaseLock();
    await run.settle();
    run.finish('succeeded');
    upsertSearchAttributes([{ key: RunbookOutcome, value: 'succeeded' }]);
    await run.audit('succeeded', result.summary);
    return result;
  } catch (err) {
    await run.releaseLock();
    await run.settle();
    const cancelled = isCancellation(err);
    run.finish(cancelled ? 'cancelled' : 'failed');
    const outcome = cancelled ? 'cancelled' : run.lockBroken ? 'lock-broken' : outcomeOf(err);
    upsertSearchAttributes([{ key: RunbookOutcome, value: outcome }]);
    const left = run.leftState;
    // Written even when the run was cancelled: the trail must say how every run ended. If the trail itself is what
    // failed, this may fail too: the run's failure (in Temporal) says so.
    await CancellationScope.nonCancellable(() =>
      run.audit('failed', cancelled ? `${name} was cancelled${left ? `. ${left}` : ''}` : rootMessage(err), {
        cancelled,
        ...(left && { left }),
      }),
    ).catch(() => undefined);
    throw err;
  }
}

type StartCheck<N extends RunbookId> =
  { ok: true; operator: string; input: CheckedInput<N> } | { ok: false; operator: string; failure: ApplicationFailure };

/** The workflow ID and the input, checked before anything is called: a refusal names the field. */
function checkStart<N extends RunbookId>(name: N, rawInput: unknown): StartCheck<N> {
  const refuse = (message: string): ApplicationFailure =>
    ApplicationFailure.create({ type: FailureTypes.InvalidRunbookInput, nonRetryable: true, message });
  const idProblem = workflowIdProblem(workflowInfo().workflowId);
  const parsed = RUNBOOKS[name].input.safeParse(rawInput ?? {});
  const operator = parsed.success ? operatorOf(parsed.data) : UNKNOWN_OPERATOR;
  if (idProblem) {
    return {
      ok: false,
      operator,
      failure: refuse(
        `This run's workflow ID ${clip(JSON.stringify(workflowInfo().workflowId), 120)} ${idProblem}. Nothing was called; start it again with another ID.`,
      ),
    };
  }
  if (!parsed.success) {
    return {
      ok: false,
      operator,
      failure: refuse(clip(`Invalid input for ${name}: ${describeIssues(parsed.error)}`, 2000)),
    };
  }
  return { ok: true, operator, input: parsed.data as CheckedInput<N> };
}

function operatorOf(input: unknown): string {
  const operator = (input as { operator?: unknown }).operator;
  return typeof operator === 'string' && operator ? operator : UNKNOWN_OPERATOR;
}

/** The outcome search attribute of a run that did not succeed: refusals are not failures of the app. */
function outcomeOf(err: unknown): string {
  const types = causeChain(err).map((failure) => (failure as { type?: string }).type);
  if (types.includes(FailureTypes.AppLocked) || types.includes(FailureTypes.InvalidRunbookInput)) return 'refused';
  if (types.includes(FailureTypes.NotApproved)) return 'not-approved';
  if (types.includes(FailureTypes.Rejected)) return 'rejected';
  if (types.includes(FailureTypes.LockBroken)) return 'lock-broken';
  return 'failed';
}

/** The message of the failure at the bottom of the chain: the one that says what went wrong. */
export function rootMessage(err: unknown): string {
  const root = causeChain(err).at(-1) as { message?: string } | undefined;
  return root?.message ?? String(err);
}

/**
 * The usual first step: resolve the runbook's environment or app against the config, record the target, and —
 * for a runbook that changes the app — take the app's lock.
 */
export async function resolveTargetStep(
  run: RunbookRun,
  input: { environment?: string; app?: string; waitForLock?: boolean; lockWaitMinutes?: number },
  options: { lock?: boolean } = {},
): Promise<ResolvedTarget> {
  const target = await run.step('resolve', async (step) => {
    const resolved = await reads.resolveTarget({ environment: input.environment, app: input.app });
    const idProblem = workflowIdProblem(workflowInfo().workflowId, resolved.lockPrefix);
    if (idProblem) {
      throw ApplicationFailure.create({
        type: FailureTypes.InvalidRunbookInput,
        nonRetryable: true,
        message: `This run's workflow ID ${idProblem}. Nothing was changed; start it again with another ID.`,
      });
    }
    step.detail(`${resolved.app}${resolved.environment ? ` (${resolved.environment})` : ''}`);
    return resolved;
  });
  run.setTarget(target);
  if (options.lock ?? run.mutating) {
    await run.lockApp(target, {
      wait: input.waitForLock ?? false,
      minutes: input.lockWaitMinutes ?? target.lockWaitMinutes,
    });
  }
  return target;
}
