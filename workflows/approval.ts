import { ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import type {
  ApprovalDecision,
  ApprovalState,
  ApproveRequest,
  HashedPlan,
  RejectRequest,
} from '../common/disaster-recovery';
import { FailureTypes } from '../common/errors';
import { approvalQuery, approveSignal, approveUpdate, rejectSignal, rejectUpdate } from '../common/messages';
import { clip } from '../common/redact';
import type { RunbookRun } from './runbook';

function samePerson(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

/** Who a request says it comes from, for the record (a refused request may name nobody, or be no object at all). */
function claimedBy(request: unknown): string {
  const by = (request as { approver?: unknown } | null | undefined)?.approver;
  return typeof by === 'string' && by.trim() ? clip(by.trim(), 200) : 'unknown';
}

/**
 * Four-eyes approval of a plan. Approvals arrive as Updates (the CLI: a refusal reaches the sender at once) or as
 * Signals (the Temporal UI: a refusal is listed in the `approval` query, and the run keeps waiting). Either way the
 * requester cannot approve, an approval must name the hash of the plan on offer, and every refusal is written to
 * the audit trail under the name it claimed — an Update is refused by its handler, not by a validator, because a
 * validator's refusal leaves no trace in the run's history.
 */
export class ApprovalGate {
  private readonly state: ApprovalState;

  /** Registered first thing in the run, so the `approval` query and early messages always find a handler. */
  constructor(private readonly run: RunbookRun) {
    this.state = {
      status: 'planning',
      requester: run.operator,
      required: true,
      plan: null,
      planHash: null,
      waitingSince: null,
      expiresAt: null,
      decision: null,
      refused: [],
      drift: null,
    };
    setHandler(approvalQuery, () => JSON.parse(JSON.stringify(this.state)) as ApprovalState, {
      description: 'The plan awaiting approval, its hash and the decision',
    });
    setHandler(
      approveUpdate,
      async (request) => {
        await this.refuseIf(this.whyNotApprove(request), request, 'approval');
        return this.decide('approved', request.approver, request.planHash, request.reason ?? null);
      },
      { description: 'Approve the plan: { approver, planHash, reason? }' },
    );
    setHandler(
      rejectUpdate,
      async (request) => {
        await this.refuseIf(this.whyNotReject(request), request, 'rejection');
        return this.decide('rejected', request.approver, this.state.planHash ?? '', request.reason);
      },
      { description: 'Reject the plan: { approver, reason }' },
    );
    setHandler(
      approveSignal,
      (request) => {
        const why = this.whyNotApprove(request);
        if (why) void this.refused(why, request, 'approval');
        else this.decide('approved', request.approver, request.planHash, request.reason ?? null);
      },
      { description: 'Approve the plan from the UI: { "approver", "planHash", "reason" }' },
    );
    setHandler(
      rejectSignal,
      (request) => {
        const why = this.whyNotReject(request);
        if (why) void this.refused(why, request, 'rejection');
        else this.decide('rejected', request.approver, this.state.planHash ?? '', request.reason);
      },
      { description: 'Reject the plan from the UI: { "approver", "reason" }' },
    );
  }

  /** Once the environment is known: whether it needs a second person at all. */
  require(required: boolean): void {
    this.state.required = required;
    if (!required) this.state.status = 'not-required';
  }

  /**
   * Offers a plan for approval and waits for a decision, for the timeout (then status is 'timed-out' and the answer
   * null), or until the run's app lock is broken (then null as well: the caller stops).
   */
  async awaitDecision(
    hashed: HashedPlan,
    timeoutMinutes: number,
    drift: string | null = null,
  ): Promise<ApprovalDecision | null> {
    // Rejected while the plan was still being made: a "no" stands.
    if (this.state.decision?.decision === 'rejected') return this.state.decision;
    const now = Date.now();
    Object.assign(this.state, {
      status: 'waiting',
      plan: hashed.plan,
      planHash: hashed.hash,
      waitingSince: new Date(now).toISOString(),
      expiresAt: new Date(now + timeoutMinutes * 60_000).toISOString(),
      decision: null,
      drift,
    } satisfies Partial<ApprovalState>);
    const decided = await condition(
      () => this.state.decision !== null || this.run.lockBroken !== null,
      Math.max(1, Math.round(timeoutMinutes * 60_000)),
    );
    if (this.state.decision) return this.state.decision;
    if (!decided) this.state.status = 'timed-out';
    return null;
  }

  /** An approval needs reading again (the plan drifted): back to planning until the new plan is offered. */
  reopen(): void {
    this.state.status = 'planning';
    this.state.decision = null;
  }

  private whyNotApprove(request: ApproveRequest | undefined): string | null {
    if (!request || typeof request.approver !== 'string' || !request.approver.trim())
      return 'say who approves: { "approver": "<name>", "planHash": "<hash>" }';
    if (this.state.status !== 'waiting') return `this run is not waiting for approval (it is ${this.state.status})`;
    if (samePerson(request.approver, this.state.requester)) {
      return `${request.approver} requested this run and cannot approve it: approval must come from a second person (four-eyes rule)`;
    }
    if (request.planHash !== this.state.planHash) {
      return `plan hash ${clip(JSON.stringify(request.planHash ?? null), 40)} is not the hash of the plan awaiting approval: read the plan again (\`runbook approve <id>\` shows it) and approve what you read`;
    }
    return null;
  }

  private whyNotReject(request: RejectRequest | undefined): string | null {
    if (!request || typeof request.approver !== 'string' || !request.approver.trim())
      return 'say who rejects: { "approver": "<name>", "reason": "<why>" }';
    if (typeof request.reason !== 'string' || !request.reason.trim()) return 'give a reason for rejecting';
    if (this.state.status !== 'waiting' && this.state.status !== 'planning')
      return `this run is not waiting for approval (it is ${this.state.status})`;
    return null;
  }

  /** An Update's refusal: recorded first, then the sender is told why. */
  private async refuseIf(why: string | null, request: unknown, what: string): Promise<void> {
    if (why === null) return;
    await this.refused(why, request, what);
    throw ApplicationFailure.create({ type: FailureTypes.ApprovalRefused, nonRetryable: true, message: why });
  }

  /** Lists a refusal in the `approval` query and writes it to the audit trail, under the name it claimed. */
  private refused(why: string, request: unknown, what: string): Promise<void> {
    const by = claimedBy(request);
    const refusal = { by, why, at: new Date().toISOString() };
    // The most recent 50: a flood of refused messages must not make the query's answer unbounded.
    this.state.refused = [...this.state.refused, refusal].slice(-50);
    return this.run.auditSoon('approval', `${what} by ${by} refused: ${why}`, { refused: refusal }, { actor: by });
  }

  private decide(
    decision: ApprovalDecision['decision'],
    by: string,
    planHash: string,
    reason: string | null,
  ): ApprovalDecision {
    const made: ApprovalDecision = {
      decision,
      by: clip(by.trim(), 200),
      reason: reason?.trim() ? clip(reason.trim(), 500) : null,
      planHash,
      at: new Date().toISOString(),
    };
    this.state.decision = made;
    this.state.status = decision;
    return made;
  }
}
