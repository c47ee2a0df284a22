import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  patched,
  setCurrentDetails,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { z } from 'zod';
import type { ChangeActivities, ChangeActivityName } from '../activities';
import type { AuditEvent, AuditHead } from '../common/audit';
import { askingForRequestIds, detachRequestIds } from '../common/heroku-request-ids';
import { describeRule, describeStanding, satisfies, type ResolvedAccess } from '../common/access';
import type { ApprovalDecision, CancelRequest } from '../common/disaster-recovery';
import type { ResolvedTarget } from '../common/environments';
import { describePerson, MAX_PROOF_LENGTH, unverified, type Person, type ProofAction } from '../common/identity';
import { clipSummary } from '../common/activity-summaries';
import { renderCurrentDetails, type LaunchFacts } from '../common/current-details';
import { describeDuration } from '../common/durations';
import { causeChain, FailureTypes, rootMessage } from '../common/errors';
import { cancelUpdate, progressQuery } from '../common/messages';
import type { RunbookProgress, RunStatus, StepHandle, StepState } from '../common/progress';
import { clip, describeRejectedInput, redactInput } from '../common/redact';
import { RUNBOOKS, type RunbookDefinition, type RunbookId } from '../common/runbooks';
import { Approver, Environment, HerokuApp, Operator, RunbookName, RunbookOutcome } from '../common/search-attributes';
import { checkInput, describeIssues } from '../common/validation';
import { workflowIdProblem } from '../common/workflow-ids';
import {
  changes,
  identity,
  reads,
  records,
  starters,
  throughBudget,
  type StartActivityName,
  type WatchTiming,
} from './activities';
import { AppLockClaim, type LockBreak, type LockWait } from './app-lock';
import { ApprovalGate, type ApprovalNeed, type OfferedPlan } from './approval';
import { notifyEnd } from './notify';

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
  /** Who started the run: verified with Heroku from the start's proof, or only what the input claims. */
  requester: Person = unverified(UNKNOWN_OPERATOR);
  /** Every run answers the approval messages (refusing them when it asks for none). */
  readonly approvals: ApprovalGate;
  /** The requester is unverified where the rules need a verified one: verified people must approve the run. */
  private vouchNeeded = false;
  private readonly usedProofs = new Set<string>();
  private cancelledBy: string | null = null;
  private seq = 0;
  /** The trail's head after this run's newest record: what the run's result and memo name. */
  auditHead: AuditHead | null = null;
  private target: ResolvedTarget | null = null;
  private readonly steps: StepState[] = [];
  private status: RunStatus = 'running';
  private lock: AppLockClaim | null = null;
  private left: string | null = null;
  /** How many changes this run has asked Heroku for (each counted as its request goes out, whatever came of it). */
  private asked = 0;
  /** Audit writes started outside the main flow (a lock break noticed): awaited before the run ends. */
  private readonly background: Promise<unknown>[] = [];
  /** What the run was asked to do, from its input: the head of its current details in the Temporal UI. */
  launch: LaunchFacts;
  /** The sentence the run ended with (its result's summary, or its failure): the end of its current details. */
  private outcome: string | null = null;

  constructor(readonly name: RunbookId) {
    this.launch = { runbook: name };
    setHandler(progressQuery, () => this.progress(), { description: 'The steps of this runbook and how far it got' });
    this.approvals = new ApprovalGate(this, this.approvalPoint);
    setHandler(cancelUpdate, (request) => this.cancelRequested(request), {
      description: 'Put who cancels on the record: { proof, reason? } (`runbook cancel` sends it, then cancels)',
    });
  }

  /** How the requester is written everywhere: a verified email, or "unverified (claims: …)". */
  get operator(): string {
    return describePerson(this.requester);
  }

  get app(): string | null {
    return this.target?.app ?? null;
  }

  get access(): ResolvedAccess | null {
    return this.target?.access ?? null;
  }

  /** The target as resolved (null before): who is told of the run reads its `notify` (workflows/notify.ts). */
  get resolvedTarget(): ResolvedTarget | null {
    return this.target;
  }

  /**
   * Verifies an identity proof with the worker (it reads the Heroku account with the proof's token and revokes it).
   * A proof counts once in a run.
   */
  async verifyProof(proof: string, action: ProofAction, subject: string): Promise<Person & { verified: true }> {
    // A proof the CLI makes is a few hundred characters. A megabyte sent in an Update or a Signal is refused here,
    // not copied into the verifying activity's input (and so into the run's history a second time).
    if (proof.length > MAX_PROOF_LENGTH && patched('bounded-proofs')) {
      throw ApplicationFailure.create({
        type: FailureTypes.ProofRefused,
        nonRetryable: true,
        message: `proof: is ${proof.length} characters long; an identity proof is at most ${MAX_PROOF_LENGTH}`,
      });
    }
    const verified = await identity.verifyProof({ proof, workflowId: workflowInfo().workflowId, action, subject });
    if (this.usedProofs.has(verified.authorizationId)) {
      throw ApplicationFailure.create({
        type: FailureTypes.ProofRefused,
        nonRetryable: true,
        message: `this identity proof was used in this run already: a proof counts once`,
      });
    }
    this.usedProofs.add(verified.authorizationId);
    return { verified: true, email: verified.email };
  }

  /**
   * Checks the requester against the target's rules, once it is resolved: a verified requester the rules do not
   * allow is refused (nothing changed); an unverified one, where the rules need a verified one, makes the run wait
   * for verified approvers (see `approvalNeed`).
   */
  async authorizeRequester(target: ResolvedTarget): Promise<string> {
    const rule = this.mutating ? target.access.change : target.access.read;
    const what = `${this.mutating ? 'changing' : 'reading'} ${target.environment ?? target.app}`;
    if (rule.anyone) return `${this.operator} (${what}: anyone may)`;
    const ruleText = describeRule(rule, target.app, target.access.team);
    if (!this.requester.verified) {
      this.vouchNeeded = true;
      return `${this.operator}: ${what} needs ${ruleText}, so verified people must approve this run`;
    }
    const standing = await identity.readStanding({
      app: target.app,
      team: target.access.team,
      email: this.requester.email,
    });
    if (!satisfies(rule, standing)) {
      throw ApplicationFailure.create({
        type: FailureTypes.AccessDenied,
        nonRetryable: true,
        message: `${this.requester.email} may not run ${this.name} on ${target.app}: ${what} needs ${describeRule(rule, target.app, standing.team)} (${this.requester.email} has ${describeStanding(standing, target.app)}). Nothing was changed; ask someone who may, or a team admin for access.`,
      });
    }
    return `${this.requester.email} may (${what} needs ${describeRule(rule, target.app, standing.team)})`;
  }

  /**
   * How many verified people must approve a plan about `subject` (a runbook, or set-config-vars:replace), and who:
   * a second person where the environment's rules ask for one, and one more where the requester is unverified.
   */
  approvalNeed(
    subject: string,
    options: {
      timeoutMinutes?: number;
      /** Whether a second person must approve, where the runbook decides it (disaster recovery: its own setting). */
      secondPerson?: boolean;
    } = {},
  ): ApprovalNeed {
    const access = this.target!.access;
    const secondPerson = options.secondPerson ?? access.approval.runbooks.includes(subject);
    const needed = (secondPerson ? 1 : 0) + (this.vouchNeeded ? 1 : 0);
    const rule = secondPerson ? access.approval.approvers : access.change;
    const where = this.target!.environment ?? this.target!.app;
    return {
      needed,
      rule,
      ruleText: describeRule(rule, this.target!.app, access.team),
      what: secondPerson ? `approving ${subject} on ${where}` : `vouching for an unverified requester on ${where}`,
      timeoutMinutes: options.timeoutMinutes ?? access.approval.timeoutMinutes,
    };
  }

  /**
   * The approval point of a step runbook: where the rules ask for approval (or the requester is unverified), the
   * plan waits for verified approvers; else the step is skipped. Refused, rejected or timed out: the run fails,
   * nothing changed.
   */
  async seekApproval(subject: string, planLines: string[]): Promise<ApprovalDecision | null> {
    const need = this.approvalNeed(subject);
    if (need.needed === 0) {
      this.approvals.notRequired();
      this.skip('approval', `not required for ${subject} on ${this.target!.environment ?? this.target!.app}`);
      return null;
    }
    this.approvals.expect();
    return this.step('approval', async (step) => {
      const offered = await this.stepPlan(planLines);
      step.detail(
        `plan ${offered.hash} waits for ${need.needed} verified approver${need.needed === 1 ? '' : 's'} (${need.ruleText}; not ${this.operator}): \`runbook approve ${workflowInfo().workflowId}\``,
      );
      const made = await this.approvals.awaitDecision(offered, need);
      this.stopIfLockBroken('go on after approval');
      return this.settleDecision(made, need.timeoutMinutes, step);
    });
  }

  /**
   * A step runbook's plan as an approver reads it — the runbook, where, who asks, what it will do — and its hash,
   * made by an activity (sha256, as the disaster-recovery plan's): kept in the history, it is the same on replay.
   */
  private async stepPlan(lines: string[]): Promise<OfferedPlan> {
    const target = this.target!;
    const text = [
      `${this.name} on ${target.app}${target.environment ? ` (${target.environment})` : ''}, requested by ${this.operator}`,
      ...lines.map((line) => `  ${line}`),
      `  Run: ${workflowInfo().workflowId}`,
    ].join('\n');
    const hash = await reads.hashPlanText({ text });
    return { hash, text: `${text}\n  Plan hash: ${hash}` };
  }

  /** Records an approval decision and fails the run unless it approved. */
  async settleDecision(
    made: ApprovalDecision | null,
    timeoutMinutes: number,
    step: StepHandle,
  ): Promise<ApprovalDecision> {
    const app = this.target?.app ?? 'the app';
    if (!made) {
      throw ApplicationFailure.create({
        type: FailureTypes.NotApproved,
        nonRetryable: true,
        message: `Not approved within ${describeDuration(Math.round(timeoutMinutes * 60))}: nothing was changed on ${app}. Launch again when a second person is available to approve.`,
      });
    }
    await this.audit(
      'approval',
      `plan ${made.planHash} ${made.decision} by ${made.by}${made.reason ? `: ${made.reason}` : ''}`,
      { decision: made },
      { actor: made.by },
    );
    if (made.decision === 'rejected') {
      throw ApplicationFailure.create({
        type: FailureTypes.Rejected,
        nonRetryable: true,
        message: `Rejected by ${made.by}: ${made.reason}. Nothing was changed on ${app}.`,
      });
    }
    upsertSearchAttributes([{ key: Approver, value: made.by }]);
    step.detail(`approved by ${made.by}${made.reason ? `: ${made.reason}` : ''} (plan ${made.planHash})`);
    return made;
  }

  /** `runbook cancel` says who cancels before it cancels: the proof is verified and the name kept for the record. */
  private async cancelRequested(request: CancelRequest | undefined): Promise<{ by: string }> {
    const claims = typeof request?.approver === 'string' ? request.approver : undefined;
    if (typeof request?.proof !== 'string' || !request.proof) {
      this.cancelledBy = describePerson(unverified(claims));
      return { by: this.cancelledBy };
    }
    try {
      const person = await this.verifyProof(request.proof, 'cancel', 'run');
      this.cancelledBy = person.email;
    } catch (err) {
      this.cancelledBy = `${describePerson(unverified(claims))}; its proof was refused: ${rootMessage(err)}`;
    }
    void this.auditSoon(
      'notice',
      `cancellation requested by ${this.cancelledBy}${typeof request.reason === 'string' && request.reason ? `: ${clip(request.reason, 500)}` : ''}`,
      {},
      { actor: this.cancelledBy },
    );
    return { by: this.cancelledBy };
  }

  /** Who asked for the cancellation, for the record: named by `runbook cancel`, else an unproven Temporal request. */
  get cancellationBy(): string {
    return this.cancelledBy ?? 'an unverified caller (a Temporal cancel request, no proof)';
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

  /** Whether this runbook asks for approval itself once its plan is known (else an unverified run is vouched for). */
  get approvalPoint(): boolean {
    return (RUNBOOKS[this.name] as RunbookDefinition).approvalPoint === true;
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
    this.showDetails();
    try {
      const result = await body({
        detail: (text) => {
          state.detail = text;
          this.showDetails();
        },
      });
      state.status = 'succeeded';
      return result;
    } catch (err) {
      state.status = 'failed';
      state.detail = rootMessage(err);
      throw err;
    } finally {
      state.endedAt = new Date().toISOString();
      this.showDetails();
    }
  }

  /** Marks a step as not needed, saying why ("already on"). */
  skip(name: string, why: string): void {
    const state = this.stepState(name);
    state.status = 'skipped';
    state.detail = why;
    this.showDetails();
  }

  /**
   * Keeps the Temporal UI's current details ("User Metadata" tab) up to date: the step table, what the run waits
   * for, how it ended. Not a workflow command (the SDK answers the UI's metadata query with it), so replays are
   * unaffected.
   */
  showDetails(): void {
    setCurrentDetails(
      renderCurrentDetails({
        workflowId: workflowInfo().workflowId,
        now: new Date(),
        launch: this.launch,
        progress: this.progress(),
        approval: this.approvals?.view ?? null,
        feedback: this.approvals?.feedback ?? null,
        outcome: this.outcome,
      }),
    );
  }

  /** Records where the run acts, once the target is resolved: in the UI's list, the progress and the audit trail. */
  setTarget(target: ResolvedTarget): void {
    this.target = target;
    upsertSearchAttributes([
      { key: HerokuApp, value: target.app },
      { key: Environment, value: target.environment ?? 'none' },
    ]);
    this.showDetails();
  }

  /** How the run leaves the app, in one paragraph, when it does not succeed: the result, `runbook status`, the trail. */
  leave(statement: string): void {
    this.left = statement;
    this.showDetails();
  }

  get leftState(): string | null {
    return this.left;
  }

  /** How many changes the run has asked Heroku for so far: none more since a count means nothing was changed. */
  get changesAsked(): number {
    return this.asked;
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
    const head = await records.recordAudit({
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
    // An activity recorded before heads were returned gives nothing back (replay of an older history).
    if (head && (!this.auditHead || head.position > this.auditHead.position)) this.auditHead = head;
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
    const proxied = (START_ACTIVITIES.includes(activity)
      ? starters(options.timing)[activity as StartActivityName]
      : changes[activity]) as unknown as {
      executeWithOptions(options: { summary: string }, args: [Parameters<ChangeActivities[K]>[0]]): Promise<Result>;
    };
    // The UI's timeline shows each change by its intent: "restore b016 into DATABASE_URL (…), replacing its data".
    const call = (request: Parameters<ChangeActivities[K]>[0]): Promise<Result> =>
      throughBudget(() => proxied.executeWithOptions({ summary: clipSummary(record.intent) }, [request]));
    return CancellationScope.nonCancellable(async (): Promise<Result> => {
      await this.auditOrFail(
        'intent',
        `about to ${record.intent}`,
        { activity, ...record.details },
        `nothing was changed: the run stopped before it would ${record.intent}`,
      );
      let result: Result;
      let requestIds: string[] | null;
      this.asked++;
      try {
        ({ value: result, requestIds } = detachRequestIds(await call(askingForRequestIds(request))) as {
          value: Result;
          requestIds: string[] | null;
        });
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
      // The Request-Id of each change Heroku made for it (activities/index.ts collects them): what Heroku support
      // asks for. None where the call changed nothing, or adopted what an earlier attempt started.
      await this.auditOrFail(
        'change',
        summary,
        {
          activity,
          outcome: 'done',
          ...record.details,
          ...details,
          ...(requestIds && { herokuRequestIds: requestIds }),
        },
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

  finish(status: Exclude<RunStatus, 'running'>, outcome: string): void {
    this.status = status;
    this.outcome = outcome;
    this.showDetails();
  }

  /**
   * Puts the trail's head after this run's last record in the run's memo (its result carries it too, when it
   * succeeds): while Temporal keeps the run, `runbook audit verify` can check the trail still reaches it.
   */
  publishAuditHead(): void {
    if (this.auditHead && patched('audit-head-in-memo')) upsertMemo({ auditHead: this.auditHead });
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
    this.showDetails();
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
  run.requester = unverified(checked.operator);
  run.launch = launchFacts(name, checked.ok ? checked.input : rawInput);
  // Not inherited from an earlier run ("Start Workflow Like This One" copies them): where it acts, from this run's
  // input (the app, once resolved); the outcome and approver when this run has them.
  upsertSearchAttributes([
    { key: RunbookName, value: name },
    { key: HerokuApp, value: run.launch.app ?? null },
    { key: Environment, value: run.launch.environment ?? null },
    { key: RunbookOutcome, value: null },
    { key: Approver, value: null },
  ]);
  run.showDetails();
  // Who started it, proven: the start's proof is verified before anything else is done (and revoked).
  let proofRefused: unknown = null;
  const proof = checked.ok ? (checked.input as { proof?: string }).proof : undefined;
  if (proof) {
    try {
      run.requester = await run.verifyProof(proof, 'start', name);
    } catch (err) {
      proofRefused = err;
    }
  }
  run.approvals.requesterIs(run.requester);
  upsertSearchAttributes([{ key: Operator, value: run.operator }]);
  try {
    await run.auditOrFail(
      'started',
      `${name} started by ${run.operator}`,
      {
        input: checked.ok ? redactInput(checked.input) : describeRejectedInput(rawInput),
        requester: run.requester,
      },
      'nothing was changed: the run did not start',
    );
    if (!checked.ok) throw checked.failure;
    if (proofRefused) {
      throw ApplicationFailure.create({
        type: FailureTypes.ProofRefused,
        nonRetryable: true,
        message: `The start's identity proof was refused: ${rootMessage(proofRefused)} Nothing was changed; launch again with \`runbook run\` (it makes a new proof).`,
      });
    }
    const result = await body(run, checked.input);
    run.stopIfLockBroken(null);
    await run.releaseLock();
    await run.settle();
    const dryRun = (result as { dryRun?: unknown }).dryRun === true;
    run.finish('succeeded', result.summary);
    // A dry run changed nothing: its outcome must not read like a real restore's.
    upsertSearchAttributes([{ key: RunbookOutcome, value: dryRun ? 'dry-run' : 'succeeded' }]);
    await run.audit('succeeded', result.summary);
    await notifyEnd(run, { result });
    run.publishAuditHead();
    return { ...result, ...(run.auditHead && { auditHead: run.auditHead }) };
  } catch (err) {
    await run.releaseLock();
    await run.settle();
    const cancelled = isCancellation(err);
    run.finish(
      cancelled ? 'cancelled' : 'failed',
      cancelled ? `Cancelled by ${run.cancellationBy}.` : clip(rootMessage(err), 1500),
    );
    const outcome = cancelled ? 'cancelled' : run.lockBroken ? 'lock-broken' : outcomeOf(err);
    upsertSearchAttributes([{ key: RunbookOutcome, value: outcome }]);
    const left = run.leftState;
    // Written even when the run was cancelled: the trail must say how every run ended. If the trail itself is what
    // failed, this may fail too: the run's failure (in Temporal) says so.
    await CancellationScope.nonCancellable(() =>
      run.audit(
        'failed',
        cancelled ? `${name} was cancelled by ${run.cancellationBy}${left ? `. ${left}` : ''}` : rootMessage(err),
        { cancelled, ...(cancelled && { cancelledBy: run.cancellationBy }), ...(left && { left }) },
      ),
    ).catch(() => undefined);
    await notifyEnd(run, { outcome, message: cancelled ? `cancelled by ${run.cancellationBy}` : rootMessage(err) });
    run.publishAuditHead();
    throw err;
  }
}

type StartCheck<N extends RunbookId> =
  { ok: true; operator: string; input: CheckedInput<N> } | { ok: false; operator: string; failure: ApplicationFailure };

/** The workflow ID and the input, checked before anything is called: a refusal names the field. */
function checkStart<N extends RunbookId>(name: N, rawInput: unknown): StartCheck<N> {
  const refuse = (message: string): ApplicationFailure => plainFailure(FailureTypes.InvalidRunbookInput, message);
  const idProblem = workflowIdProblem(workflowInfo().workflowId);
  // Runs that began before "__proto__" keys were refused took them (and dropped them): they replay as they ran.
  const parsed = checkInput(RUNBOOKS[name].input, rawInput ?? {}, () => patched('refuse-proto-keys'));
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

/** What the run was asked to do, for its current details: from the input as given, whatever its fields' types. */
function launchFacts(name: RunbookId, input: unknown): LaunchFacts {
  const given = (input && typeof input === 'object' ? input : {}) as Record<string, unknown>;
  const text = (key: string): string | undefined =>
    typeof given[key] === 'string' && given[key] ? clip(given[key] as string, 200) : undefined;
  return {
    runbook: name,
    environment: text('environment'),
    app: text('app'),
    backup: text('backup'),
    reason: text('reason'),
    ...(given.dryRun === true && { dryRun: true }),
  };
}

function operatorOf(input: unknown): string {
  const operator = (input as { operator?: unknown }).operator;
  return typeof operator === 'string' && operator ? operator : UNKNOWN_OPERATOR;
}

/** The outcome search attribute of a run that did not succeed: refusals are not failures of the app. */
function outcomeOf(err: unknown): string {
  const types = causeChain(err).map((failure) => (failure as { type?: string }).type);
  if (
    [
      FailureTypes.AppLocked,
      FailureTypes.InvalidRunbookInput,
      FailureTypes.ProofRefused,
      FailureTypes.AccessDenied,
    ].some((type) => types.includes(type))
  )
    return 'refused';
  if (types.includes(FailureTypes.NotApproved)) return 'not-approved';
  if (types.includes(FailureTypes.Rejected)) return 'rejected';
  if (types.includes(FailureTypes.LockBroken)) return 'lock-broken';
  return 'failed';
}

/**
 * A refusal of what the run was asked, as the run's own failure: the UI shows its message first, with no stack
 * trace of workflow code in front of it.
 */
function plainFailure(type: string, message: string): ApplicationFailure {
  const failure = ApplicationFailure.create({ type, nonRetryable: true, message });
  failure.stack = '';
  return failure;
}

/**
 * An activity's refusal of the input (an environment the file does not name, say) as the run's own failure, not
 * "Activity task failed" over the activity's stack trace. Anything else as it is.
 */
function asInputRefusal(err: unknown): unknown {
  const refusal = causeChain(err).find(
    (failure): failure is ApplicationFailure =>
      failure instanceof ApplicationFailure &&
      (failure.type === FailureTypes.InvalidRunbookInput || failure.type === FailureTypes.RunbookConfigError),
  );
  if (!refusal || refusal === err) return err;
  return plainFailure(refusal.type!, refusal.message);
}

/** What a runbook that has no plan of its own was asked to do, as plan lines. */
function describeLaunch(input: object): string[] {
  const asked = JSON.stringify(redactInput(input));
  return [`Input: ${clip(asked, 1500)}`];
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
    const resolved = await reads
      .resolveTarget({ environment: input.environment, app: input.app })
      .catch((err: unknown) => Promise.reject(asInputRefusal(err)));
    const idProblem = workflowIdProblem(workflowInfo().workflowId, resolved.lockPrefix);
    if (idProblem) {
      throw ApplicationFailure.create({
        type: FailureTypes.InvalidRunbookInput,
        nonRetryable: true,
        message: `This run's workflow ID ${idProblem}. Nothing was changed; start it again with another ID.`,
      });
    }
    const where = `${resolved.app}${resolved.environment ? ` (${resolved.environment})` : ''}`;
    step.detail(where);
    run.setTarget(resolved);
    step.detail(`${where}; ${await run.authorizeRequester(resolved)}`);
    return resolved;
  });
  if (options.lock ?? run.mutating) {
    await run.lockApp(target, {
      wait: input.waitForLock ?? false,
      minutes: input.lockWaitMinutes ?? target.lockWaitMinutes,
    });
  }
  // A runbook with no approval point of its own, started by someone unverified where the rules need a verified
  // requester: a verified person vouches for the run before it changes anything.
  if (run.mutating && !run.approvalPoint && run.approvalNeed(run.name).needed > 0) {
    await run.seekApproval(run.name, describeLaunch(input));
  }
  return target;
}
