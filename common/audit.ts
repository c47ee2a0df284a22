/** What happened in a run, as the audit trail keeps it — long after Temporal's retention has dropped the run. */
export type AuditEvent = 'started' | 'change' | 'approval' | 'compensation' | 'succeeded' | 'failed';

export interface AuditRecord {
  workflowId: string;
  runId: string;
  /** Position of this record within its run: with the two IDs, what makes a retried write a no-op. */
  seq: number;
  runbook: string;
  event: AuditEvent;
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
