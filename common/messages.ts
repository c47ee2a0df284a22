import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  ApprovalDecision,
  ApprovalState,
  ApproveRequest,
  CancelRequest,
  RecoveryCheckpoint,
  RejectRequest,
} from './disaster-recovery';
import type { LockHolder, LockRelease } from './app-lock';
import type { RunbookProgress } from './progress';

// Message definitions shared by the workflows (which answer them) and the CLI (which sends them).

/** Every runbook answers this: its steps, their status and a one-line detail each. */
export const progressQuery = defineQuery<RunbookProgress>('progress');

/** Disaster recovery: the plan awaiting approval, its hash, and the decision. */
export const approvalQuery = defineQuery<ApprovalState>('approval');

/** Disaster recovery: what this run recorded and completed, for a later run to continue from. */
export const checkpointQuery = defineQuery<RecoveryCheckpoint | null>('checkpoint');

/**
 * Approval as an Update (the CLI): refused at once, with the reason, for self-approval, a stale plan hash, or a
 * run not waiting for approval. The same names as Signals for the Temporal UI, which sends one JSON object; a
 * refused Signal is recorded in the `approval` query's `refused` list and the audit trail.
 */
export const approveUpdate = defineUpdate<ApprovalDecision, [ApproveRequest]>('approve');
export const rejectUpdate = defineUpdate<ApprovalDecision, [RejectRequest]>('reject');
export const approveSignal = defineSignal<[ApproveRequest]>('approve');
export const rejectSignal = defineSignal<[RejectRequest]>('reject');

/** Who cancels, proven, before `runbook cancel` cancels the run (a Temporal cancel request carries no payload). */
export const cancelUpdate = defineUpdate<{ by: string }, [CancelRequest]>('cancel');

/** The app lock: who holds it, and the holder's "I am done". */
export const lockHolderQuery = defineQuery<LockHolder>('holder');
export const releaseLockSignal = defineSignal<[LockRelease]>('release');
