import {
  CancellationScope,
  isCancellation,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { AuditEvent } from '../common/audit';
import type { ResolvedTarget } from '../common/environments';
import type { RunbookProgress, StepHandle, StepState } from '../common/progress';
import { Environment, HerokuApp, Operator, RunbookName, RunbookOutcome } from '../common/search-attributes';
import { FailureTypes } from '../common/errors';
import { RUNBOOKS, isRunbookId } from '../common/runbooks';
import { heroku, records } from './activities';
import { acquireAppLock, releaseAppLock, type AppLockHandle } from './app-lock';
import { progressQuery } from '../common/messages';

/** What the UI shows when a run was started without saying who started it (the Temporal UI sends no identity). */
export const UNKNOWN_OPERATOR = 'unknown';

export function operatorOf(rawInput: unknown): string {
  const operator = (rawInput as { operator?: unknown } | null)?.operator;
  return typeof operator === 'string' && operator.trim() ? operator.trim() : UNKNOWN_OPERATOR;
}

export interface StepDeclaration {
  name: string;
  title: string;
}

/** One run of a runbook: who runs it, on what, its steps (the `progress` query) and its audit trail. */
export class RunbookRun {
  private seq = 0;
  private target: ResolvedTarget | null = null;
  private readonly steps: StepState[] = [];
  private status: RunbookProgress['status'] = 'running';
  /** undefined: not taken (yet); null: held by this run's parent; else this run's own lock. */
  private lock: AppLockHandle | null | undefined = undefined;
  /** How the app was left, when the runbook says (disaster recovery after a failure or a cancellation). */
  leftState: string | null = null;

  constructor(
    readonly name: string,
    readonly operator: string,
  ) {
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
      leftState: this.leftState,
    };
  }

  /** Whether this runbook changes apps (and so takes the app's lock). */
  get mutating(): boolean {
    return isRunbookId(this.name) && RUNBOOKS[this.name].mutating;
  }

  /** Lists the runbook's steps up front, all pending, so the plan is visible before anything runs. */
  declare(steps: StepDeclaration[]): void {
    for (const { name, title } of steps) {
      this.stepState(name, title);
      if (name === 'resolve' && this.mutating && !steps.some((s) => s.name === 'lock')) {
        this.stepState('lock', 'Take the app lock (one changing runbook per app)');
      }
    }
  }

  /** Takes the app's lock (see workflows/app-lock.ts): refused, naming the holder, unless asked to wait. */
  async lockApp(target: ResolvedTarget, wait = false): Promise<void> {
    if (this.lock !== undefined) return;
    this.lock = await this.step('lock', (step) =>
      acquireAppLock(target, { runbook: this.name, operator: this.operator }, wait, step),
    );
  }

  /** Lets the next runbook on the app start. */
  async releaseLock(): Promise<void> {
    const lock = this.lock;
    this.lock = undefined;
    if (lock) await releaseAppLock(lock);
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

  /** Appends to the run's audit trail (idempotent per run and position, so a retried write is not doubled). */
  async audit(event: AuditEvent, summary: string, details: Record<string, unknown> = {}): Promise<void> {
    const { workflowId, runId } = workflowInfo();
    await records.recordAudit({
      workflowId,
      runId,
      seq: this.seq++,
      runbook: this.name,
      event,
      operator: this.operator,
      app: this.target?.app ?? null,
      environment: this.target?.environment ?? null,
      summary,
      details,
    });
  }

  finish(status: Exclude<RunbookProgress['status'], 'running'>): void {
    this.status = status;
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
 * Runs a runbook body with its search attributes kept current — so the Temporal UI's list answers "which runbook,
 * on which app, by whom, and how did it end" — its progress answerable, and its audit trail written from start to
 * end, also for runs that failed on their input or were cancelled.
 */
export async function runbook<R extends { summary: string }>(
  name: string,
  rawInput: unknown,
  body: (run: RunbookRun) => Promise<R>,
): Promise<R> {
  const run = new RunbookRun(name, operatorOf(rawInput));
  if (workflowInfo().typedSearchAttributes.get(RunbookName) === undefined) {
    upsertSearchAttributes([
      { key: RunbookName, value: name },
      { key: Operator, value: run.operator },
    ]);
  }
  await run.audit('started', `${name} started by ${run.operator}`, { input: rawInput ?? null });
  try {
    const result = await body(run);
    await run.releaseLock();
    run.finish('succeeded');
    upsertSearchAttributes([{ key: RunbookOutcome, value: 'succeeded' }]);
    await run.audit('succeeded', result.summary);
    return result;
  } catch (err) {
    await run.releaseLock();
    const cancelled = isCancellation(err);
    run.finish(cancelled ? 'cancelled' : 'failed');
    upsertSearchAttributes([{ key: RunbookOutcome, value: cancelled ? 'cancelled' : outcomeOf(err) }]);
    // Written even when the run was cancelled: the trail must say how every run ended.
    await CancellationScope.nonCancellable(() =>
      run.audit(
        'failed',
        cancelled ? `${name} was cancelled${run.leftState ? `. ${run.leftState}` : ''}` : rootMessage(err),
        { cancelled, ...(run.leftState && { left: run.leftState }) },
      ),
    );
    throw err;
  }
}

/** The outcome search attribute of a run that did not succeed: refusals are not failures of the app. */
function outcomeOf(err: unknown): string {
  let current = err as { type?: string; cause?: unknown } | undefined;
  while (current) {
    if (current.type === FailureTypes.AppLocked) return 'refused';
    if (current.type === FailureTypes.NotApproved) return 'not-approved';
    if (current.type === FailureTypes.Rejected) return 'rejected';
    current = current.cause as typeof current;
  }
  return 'failed';
}

/** The message of the failure at the bottom of the chain: the one that says what went wrong. */
export function rootMessage(err: unknown): string {
  let current = err as { message?: string; cause?: unknown } | undefined;
  while (current?.cause) current = current.cause as typeof current;
  return current?.message ?? String(err);
}

/**
 * The usual first step: resolve the runbook's environment or app against the config, record the target, and —
 * for a runbook that changes the app — take the app's lock.
 */
export async function resolveTargetStep(
  run: RunbookRun,
  input: { environment?: string; app?: string; waitForLock?: boolean },
  options: { lock?: boolean } = {},
): Promise<ResolvedTarget> {
  const target = await run.step('resolve', () =>
    heroku.resolveTarget({ environment: input.environment, app: input.app }),
  );
  run.setTarget(target);
  if (options.lock ?? run.mutating) await run.lockApp(target, input.waitForLock ?? false);
  return target;
}
