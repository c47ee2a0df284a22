import { condition, setHandler } from '@temporalio/workflow';
import type {
  ApprovalDecision,
  ApprovalState,
  ApproveRequest,
  HashedPlan,
  RejectRequest,
} from '../common/disaster-recovery';
import { approvalQuery, approveSignal, approveUpdate, rejectSignal, rejectUpdate } from '../common/messages';
import type { RunbookRun } from './runbook';

function samePerson(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

/**
 * Four-eyes approval of a plan. Approvals arrive as Updates (the CLI: a refusal reaches the sender at once) or as
 * Signals (the Temporal UI: a refusal is recorded in the `approval` query and the audit trail, and the run keeps
 * waiting). Either way, the requester cannot approve, and an approval must name the hash of the plan on offer.
 */
export class ApprovalGate {
  private readonly state: ApprovalState;
  /** Refusals not yet written to the audit trail (handlers cannot wait for an activity). */
  private unrecorded: ApprovalState['refused'] = [];

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
      (request) => this.decide('approved', request.approver, request.planHash, request.reason ?? null),
      {
        validator: (request) => {
          const why = this.whyNotApprove(request);
          if (why) throw new Error(why);
        },
        description: 'Approve the plan: { approver, planHash, reason? }',
      },
    );
    setHandler(
      rejectUpdate,
      (request) => this.decide('rejected', request.approver, this.state.planHash ?? '', request.reason),
      {
        validator: (request) => {
          const why = this.whyNotReject(request);
          if (why) throw new Error(why);
        },
        description: 'Reject the plan: { approver, reason }',
      },
    );
    setHandler(approveSignal, (request) =>
      this.signalled(this.whyNotApprove(request), request?.approver, () =>
        this.decide('approved', request.approver, request.planHash, request.reason ?? null),
      ),
    );
    setHandler(rejectSignal, (request) =>
      this.signalled(this.whyNotReject(request), request?.approver, () =>
        this.decide('rejected', request.approver, this.state.planHash ?? '', request.reason),
      ),
    );
  }

  /** Once the environment is known: whether it needs a second person at all. */
  require(required: boolean): void {
    this.state.required = required;
    if (!required) this.state.status = 'not-required';
  }

  /** Offers a plan for approval and waits for a decision, or for the timeout (then status is 'timed-out'). */
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
    const deadline = now + timeoutMinutes * 60_000;
    for (;;) {
      const remaining = deadline - Date.now();
      const woken =
        remaining > 0 && (await condition(() => this.state.decision !== null || this.unrecorded.length > 0, remaining));
      for (const refusal of this.unrecorded.splice(0)) {
        await this.run.audit('approval', `approval by ${refusal.by} refused: ${refusal.why}`, { refused: refusal });
      }
      if (this.state.decision) return this.state.decision;
      if (!woken) {
        this.state.status = 'timed-out';
        return null;
      }
    }
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
      return `plan hash ${JSON.stringify(request.planHash ?? null)} is not the hash of the plan awaiting approval (${this.state.planHash}); read the plan again (\`runbook approve <id>\` shows it) and approve what you read`;
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

  private signalled(why: string | null, by: unknown, accept: () => void): void {
    if (why === null) return accept();
    const refusal = {
      by: typeof by === 'string' && by.trim() ? by.trim() : 'unknown',
      why,
      at: new Date().toISOString(),
    };
    this.state.refused.push(refusal);
    this.unrecorded.push(refusal);
  }

  private decide(
    decision: ApprovalDecision['decision'],
    by: string,
    planHash: string,
    reason: string | null,
  ): ApprovalDecision {
    const made: ApprovalDecision = {
      decision,
      by: by.trim(),
      reason: reason?.trim() || null,
      planHash,
      at: new Date().toISOString(),
    };
    this.state.decision = made;
    this.state.status = decision;
    return made;
  }
}
