import { ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import { describeRule, describeStanding, satisfies, type PersonRule, type ResolvedAccess } from '../common/access';
import type { MessageFeedback } from '../common/current-details';
import type {
  ApprovalDecision,
  ApprovalState,
  ApproveRequest,
  DisasterRecoveryPlan,
  RejectRequest,
} from '../common/disaster-recovery';
import { FailureTypes, rootMessage } from '../common/errors';
import { describePerson, samePerson, type Person } from '../common/identity';
import { approvalQuery, approveSignal, approveUpdate, rejectSignal, rejectUpdate } from '../common/messages';
import { clip, describeSent } from '../common/redact';
import { identity } from './activities';
import { notifyApprovalNeeded, type NotifyHost } from './notify';

/** Who a request says it comes from, for the record (a refused request may name nobody, or be no object at all). */
function claimedBy(request: unknown): string {
  const by = (request as { approver?: unknown } | null | undefined)?.approver;
  return typeof by === 'string' && by.trim() ? clip(by.trim(), 200) : 'unknown';
}

/** A plan on offer for approval: its hash, the text an approver reads, and (disaster recovery) the plan itself. */
export interface OfferedPlan {
  hash: string;
  text: string;
  plan?: DisasterRecoveryPlan;
}

/** What an approval needs: how many distinct verified people, and the rule each must satisfy. */
export interface ApprovalNeed {
  needed: number;
  rule: PersonRule;
  /** "approvers (app permission manage on …, or team role admin/owner in csis-ilab)": for refusals and the UI. */
  ruleText: string;
  /** The rule's name for refusals: "approving on production". */
  what: string;
  timeoutMinutes: number;
}

class Refusal extends Error {}

/**
 * A message's field as text, whatever was sent in it. Not String(): `{"toString": 1}` makes it throw, and a throw
 * that is not a Temporal failure fails the run's workflow task (again at every retry) instead of refusing the Update.
 */
function asText(value: unknown): string {
  return typeof value === 'string' ? value : describeSent(value, 200);
}

/** What the gate needs of its run (workflows/runbook.ts implements it). */
export interface ApprovalHost extends NotifyHost {
  readonly requester: Person;
  readonly app: string | null;
  readonly access: ResolvedAccess | null;
  readonly lockBroken: unknown;
  /** Shows the gate's state (and the last message's result) in the run's current details. */
  showDetails(): void;
  verifyProof(proof: string, action: 'approve' | 'reject', subject: string): Promise<Person & { verified: true }>;
  auditSoon(
    event: 'approval',
    summary: string,
    details: Record<string, unknown>,
    options: { actor?: string },
  ): Promise<void>;
}

/**
 * Four-eyes approval of a plan by verified people. Approvals arrive as Updates (the CLI: a refusal reaches the
 * sender at once) or as Signals (the Temporal UI: a refusal is listed in the `approval` query and the trail, and
 * the run keeps waiting). Each must carry an identity proof made for this run and this plan hash; the worker
 * verifies it with Heroku (the approver's email) and reads the approver's standing, before the approval counts.
 * The requester cannot approve; nobody counts twice; every refusal is written to the audit trail under the name
 * it claimed. An Update is refused by its handler, not by a validator, because a validator's refusal leaves no
 * trace in the run's history.
 */
export class ApprovalGate {
  private readonly state: ApprovalState;
  private need: ApprovalNeed | null = null;
  /** The last approval or rejection message's result: a Signal's sender reads it in the current details. */
  feedback: MessageFeedback | null = null;

  /** Registered first thing in the run, so the `approval` query and early messages always find a handler. */
  constructor(
    private readonly run: ApprovalHost,
    /** A runbook that may ask for approval once its plan is known starts "planning"; others "not-required". */
    mayAsk: boolean,
  ) {
    this.state = {
      status: mayAsk ? 'planning' : 'not-required',
      requester: describePerson(run.requester),
      requesterVerified: run.requester.verified,
      required: false,
      plan: null,
      planText: null,
      planHash: null,
      needed: 0,
      approvers: null,
      approvals: [],
      waitingSince: null,
      expiresAt: null,
      decision: null,
      refused: [],
      drift: null,
    };
    setHandler(approvalQuery, () => JSON.parse(JSON.stringify(this.state)) as ApprovalState, {
      description: 'The plan awaiting approval, its hash, who may approve and the decision',
    });
    setHandler(approveUpdate, (request) => this.approve(request, true), {
      description: 'Approve the plan: { planHash, proof, reason? } — the proof from `runbook approve`',
    });
    setHandler(rejectUpdate, (request) => this.reject(request, true), {
      description: 'Reject the plan: { reason, proof }',
    });
    setHandler(approveSignal, (request) => void this.approve(request, false).catch(() => undefined), {
      description: 'Approve the plan from the UI: { "planHash", "proof", "reason" } (the proof from `runbook proof`)',
    });
    setHandler(rejectSignal, (request) => void this.reject(request, false).catch(() => undefined), {
      description: 'Reject the plan from the UI: { "reason", "proof" }',
    });
  }

  /** The requester became known (verified or not) after the gate was made. */
  requesterIs(person: Person): void {
    this.state.requester = describePerson(person);
    this.state.requesterVerified = person.verified;
  }

  /** A runbook that will ask for approval: messages before the plan is offered are told it is being planned. */
  expect(): void {
    this.state.required = true;
    if (this.state.status === 'not-required') this.state.status = 'planning';
  }

  /** No approval in this run after all. */
  notRequired(): void {
    this.state.required = false;
    this.state.status = 'not-required';
  }

  /**
   * Offers a plan for approval and waits for a decision, for the timeout (then status is 'timed-out' and the answer
   * null), or until the run's app lock is broken (then null as well: the caller stops).
   */
  async awaitDecision(
    offered: OfferedPlan,
    need: ApprovalNeed,
    drift: string | null = null,
  ): Promise<ApprovalDecision | null> {
    // Rejected while the plan was still being made: a "no" stands.
    if (this.state.decision?.decision === 'rejected') return this.state.decision;
    this.need = need;
    const now = Date.now();
    Object.assign(this.state, {
      status: 'waiting',
      required: true,
      plan: offered.plan ?? null,
      planText: offered.text,
      planHash: offered.hash,
      needed: need.needed,
      approvers: need.ruleText,
      approvals: [],
      waitingSince: new Date(now).toISOString(),
      expiresAt: new Date(now + need.timeoutMinutes * 60_000).toISOString(),
      decision: null,
      drift,
    } satisfies Partial<ApprovalState>);
    this.showInUi();
    notifyApprovalNeeded(this.run, offered, need, this.state.expiresAt, drift);
    const decided = await condition(
      () => this.state.decision !== null || this.run.lockBroken !== null,
      Math.max(1, Math.round(need.timeoutMinutes * 60_000)),
    );
    if (!decided) this.state.status = 'timed-out';
    this.showInUi();
    if (this.state.decision) return this.state.decision;
    return null;
  }

  /** The gate's state, for the run's current details (read only). */
  get view(): Readonly<ApprovalState> {
    return this.state;
  }

  /** The run's current details show the gate: what the plan waits for, and the last message's result. */
  private showInUi(): void {
    this.run.showDetails();
  }

  private tell(feedback: Omit<MessageFeedback, 'at'>): void {
    this.feedback = { ...feedback, at: new Date().toISOString() };
    this.showInUi();
  }

  /** An approval needs reading again (the plan drifted): back to planning until the new plan is offered. */
  reopen(): void {
    this.state.status = 'planning';
    this.state.decision = null;
    this.state.approvals = [];
  }

  private async approve(request: ApproveRequest | undefined, sentAsUpdate: boolean): Promise<ApprovalDecision> {
    let proven: string | null = null;
    const via = sentAsUpdate ? 'Update' : 'Signal';
    this.tell({
      what: 'approval',
      by: `unverified (claims: ${claimedBy(request)})`,
      state: 'checking',
      text: 'verifying its identity proof with Heroku',
      via,
    });
    try {
      const hash = this.state.planHash;
      this.check(this.whyNotWaiting(request));
      // The proof is made for the hash its sender approves: verified first, so that a refusal (a stale hash, say)
      // is recorded under the person who sent it.
      const person = await this.prove(request?.proof, 'approve', asText(request?.planHash ?? ''));
      proven = person.email;
      // The state may have moved on while the proof was verified.
      this.check(this.whyNotApprove(request));
      const need = this.need!;
      if (samePerson(person, this.run.requester)) {
        throw new Refusal(
          `${person.email} requested this run and cannot approve it: approval must come from a second person (four-eyes rule)`,
        );
      }
      if (this.state.approvals.some((given) => samePerson({ verified: true, email: given.by }, person))) {
        throw new Refusal(`${person.email} has approved this plan already: it needs ${need.needed} different people`);
      }
      await this.checkStanding(person, need.rule, need.what);
      this.check(this.whyNotApprove(request));
      const reason =
        typeof request?.reason === 'string' && request.reason.trim() ? clip(request.reason.trim(), 500) : null;
      this.state.approvals.push({ by: person.email, reason, at: new Date().toISOString() });
      const remaining = need.needed - this.state.approvals.length;
      this.tell({
        what: 'approval',
        by: person.email,
        state: 'accepted',
        text:
          remaining > 0
            ? `it counts; ${remaining} more verified approval${remaining === 1 ? '' : 's'} needed`
            : `plan ${hash} approved; the run goes on`,
        via,
      });
      if (remaining > 0) {
        void this.run.auditSoon(
          'approval',
          `plan ${hash} approved by ${person.email}${reason ? `: ${reason}` : ''}; ${remaining} more approval${remaining === 1 ? '' : 's'} needed`,
          { approval: this.state.approvals.at(-1), remaining },
          { actor: person.email },
        );
        return {
          decision: 'approved',
          by: person.email,
          reason,
          planHash: hash ?? '',
          at: new Date().toISOString(),
          remaining,
        };
      }
      return this.decide('approved', this.state.approvals.map((given) => given.by).join(' and '), hash ?? '', reason);
    } catch (err) {
      return this.refusedWith(err, request, 'approval', sentAsUpdate, proven);
    }
  }

  private async reject(request: RejectRequest | undefined, sentAsUpdate: boolean): Promise<ApprovalDecision> {
    let proven: string | null = null;
    const via = sentAsUpdate ? 'Update' : 'Signal';
    this.tell({
      what: 'rejection',
      by: `unverified (claims: ${claimedBy(request)})`,
      state: 'checking',
      text: 'verifying its identity proof with Heroku',
      via,
    });
    try {
      this.check(this.whyNotReject(request));
      const person = await this.prove(request?.proof, 'reject', 'run');
      proven = person.email;
      this.check(this.whyNotReject(request));
      // The requester may withdraw; anyone else must be someone who could have approved, or run it.
      if (!samePerson(person, this.run.requester)) {
        const access = this.run.access;
        if (access) {
          const rule: PersonRule = {
            anyone: false,
            permissions: [...access.change.permissions, ...access.approval.approvers.permissions],
            teamRoles: [...access.change.teamRoles, ...access.approval.approvers.teamRoles],
            emails: [...access.change.emails, ...access.approval.approvers.emails],
          };
          await this.checkStanding(person, rule, 'rejecting');
        }
      }
      const made = this.decide('rejected', person.email, this.state.planHash ?? '', request!.reason);
      this.tell({ what: 'rejection', by: person.email, state: 'accepted', text: 'the plan is rejected', via });
      return made;
    } catch (err) {
      return this.refusedWith(err, request, 'rejection', sentAsUpdate, proven);
    }
  }

  /** Verifies a proof with the worker (Heroku): the verified person, or a refusal saying why. */
  private async prove(
    proof: string | undefined,
    action: 'approve' | 'reject',
    subject: string,
  ): Promise<Person & { verified: true }> {
    if (typeof proof !== 'string' || !proof) {
      throw new Refusal(
        'no identity proof: approvals and rejections must prove who sends them with a Heroku login. Use `runbook approve <id>` (or `runbook proof approve <id>` for the Temporal UI), which makes one',
      );
    }
    try {
      return await this.run.verifyProof(proof, action, subject);
    } catch (err) {
      throw new Refusal(rootMessage(err));
    }
  }

  private async checkStanding(person: { email: string }, rule: PersonRule, what: string): Promise<void> {
    if (rule.anyone) return;
    const app = this.run.app;
    if (!app) throw new Refusal('the run has no app yet: nobody can be checked against its rules');
    const standing = await identity.readStanding({ app, team: this.run.access?.team ?? null, email: person.email });
    if (!satisfies(rule, standing)) {
      throw new Refusal(
        `${person.email} may not approve this: ${what} needs ${describeRule(rule, app, standing.team)} (${person.email} has ${describeStanding(standing, app)})`,
      );
    }
  }

  private check(why: string | null): void {
    if (why !== null) throw new Refusal(why);
  }

  private whyNotWaiting(request: ApproveRequest | undefined): string | null {
    if (!request || typeof request !== 'object')
      return 'send { "planHash": "<hash>", "proof": "<from runbook proof approve>" }';
    if (this.state.status !== 'waiting') return `this run is not waiting for approval (it is ${this.state.status})`;
    return null;
  }

  private whyNotApprove(request: ApproveRequest | undefined): string | null {
    const notWaiting = this.whyNotWaiting(request);
    if (notWaiting || !request) return notWaiting;
    if (request.planHash !== this.state.planHash) {
      return `plan hash ${describeSent(request.planHash ?? null, 40)} is not the hash of the plan awaiting approval: read the plan again (\`runbook approve <id>\` shows it) and approve what you read`;
    }
    return null;
  }

  private whyNotReject(request: RejectRequest | undefined): string | null {
    if (!request || typeof request !== 'object')
      return 'send { "reason": "<why>", "proof": "<from runbook proof reject>" }';
    if (typeof request.reason !== 'string' || !request.reason.trim()) return 'give a reason for rejecting';
    if (this.state.status !== 'waiting' && this.state.status !== 'planning')
      return `this run is not waiting for approval (it is ${this.state.status})`;
    return null;
  }

  /** A refusal: listed in the `approval` query, written to the trail under the name it claimed, told to an Update's sender. */
  private async refusedWith(
    err: unknown,
    request: unknown,
    what: string,
    sentAsUpdate: boolean,
    proven: string | null,
  ): Promise<never> {
    if (!(err instanceof Refusal)) {
      const by = proven ?? `unverified (claims: ${claimedBy(request)})`;
      this.tell({
        what,
        by,
        state: 'refused',
        text: `it could not be checked: ${rootMessage(err)}`,
        via: sentAsUpdate ? 'Update' : 'Signal',
      });
      throw err;
    }
    const why = err.message;
    const claimed = claimedBy(request);
    // Under the verified person when the proof verified (with the name they typed, if another); else the claim.
    const by = proven ?? `unverified (claims: ${claimed})`;
    const sender = proven
      ? `by ${proven}${claimed !== 'unknown' && claimed.toLowerCase() !== proven.toLowerCase() ? ` (claiming to be ${claimed})` : ''}`
      : `claimed by ${claimed} (unverified)`;
    const refusal = { by, why, at: new Date().toISOString() };
    // The most recent 50: a flood of refused messages must not make the query's answer unbounded.
    this.state.refused = [...this.state.refused, refusal].slice(-50);
    this.tell({ what, by, state: 'refused', text: why, via: sentAsUpdate ? 'Update' : 'Signal' });
    await this.run.auditSoon('approval', `${what} ${sender} refused: ${why}`, { refused: refusal }, { actor: by });
    throw ApplicationFailure.create({
      type: FailureTypes.ApprovalRefused,
      nonRetryable: true,
      message: why,
      details: sentAsUpdate ? undefined : [refusal],
    });
  }

  private decide(
    decision: ApprovalDecision['decision'],
    by: string,
    planHash: string,
    reason: string | null,
  ): ApprovalDecision {
    const made: ApprovalDecision = {
      decision,
      by: clip(by.trim(), 500),
      reason: reason?.trim() ? clip(reason.trim(), 500) : null,
      planHash,
      at: new Date().toISOString(),
      remaining: 0,
    };
    this.state.decision = made;
    this.state.status = decision;
    return made;
  }
}
