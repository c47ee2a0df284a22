/**
 * What happened in a run, as the audit trail keeps it — long after Temporal's retention has dropped the run:
 * - started, then succeeded or failed: the run's own beginning and end;
 * - intent, then change: a change to the app, recorded before it is made and again with its outcome;
 * - approval: a plan offered, approved, rejected, or an approval refused;
 * - compensation: what a failed run undid, and how it left the app;
 * - notice: something the run noticed and did not do (a stray lock release, its lock broken from outside);
 * - ended: the end of a run that ended in Temporal without writing one (terminated, timed out), recorded later;
 * - outside-change: a change to an app the engine did not make (a `heroku config:set` by hand), found on Heroku.
 */
export type AuditEvent =
  | 'started'
  | 'intent'
  | 'change'
  | 'approval'
  | 'compensation'
  | 'notice'
  | 'succeeded'
  | 'failed'
  | 'ended'
  | 'outside-change';

/** The events that end a run's trail. */
export const END_EVENTS: readonly AuditEvent[] = ['succeeded', 'failed', 'ended'];

export interface AuditRecord {
  workflowId: string;
  runId: string;
  /** Position of this record within its run: with the two IDs, what makes a retried write a no-op. */
  seq: number;
  runbook: string;
  event: AuditEvent;
  /** Who did what this record says: the requester, or for an approval the approver. */
  operator: string;
  app: string | null;
  environment: string | null;
  /** One line for people. */
  summary: string;
  /** Structured detail (input, change, error). Never secrets: config-var values are never in a runbook's hands. */
  details: Record<string, unknown>;
}

export interface AuditEntry extends AuditRecord {
  /** When it was written (ISO 8601, UTC). */
  at: string;
}

/**
 * Where a record sits in its store's hash chain: its position and hash. A run's result (and memo) carries the head
 * after its last record, so the trail can be compared with what Temporal kept.
 */
export interface AuditHead {
  position: number;
  hash: string;
  /** Which trail: the hash of its first record (several trails may share a Temporal namespace). */
  chain: string;
}
