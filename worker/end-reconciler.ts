import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type pino from 'pino';
import type { AuditEntry } from '../common/audit';
import type { AuditLog, OpenRun } from '../lib/audit/audit-log';
import { copyToLog } from '../lib/audit/log-copy';
import { endedInTemporal } from '../lib/temporal-ends';

/** How often the worker looks for runs that ended without an end in the trail (RUNBOOK_RECONCILE_INTERVAL_MS). */
export const DEFAULT_RECONCILE_INTERVAL_MS = 60_000;

/**
 * A run that Temporal ended by itself — terminated, timed out — runs no more code, so its trail has no end. The
 * worker looks for such runs (a start and no end in the trail, and no longer running in Temporal) and writes their
 * end for them: who terminated it and why, as Temporal recorded it, and that how the app was left is not known.
 * Every worker may do this: the write goes after the run's last record, and a second worker's identical write is a
 * no-op.
 */
export class EndReconciler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(
    private readonly client: Client,
    private readonly audit: AuditLog,
    private readonly logger?: pino.Logger,
  ) {}

  /** Checks the open runs that started more than `graceMs` ago; returns the end records it wrote. */
  async reconcileOnce(graceMs = 5_000): Promise<AuditEntry[]> {
    const open = await this.audit.openRuns({ startedBefore: new Date(Date.now() - graceMs).toISOString() });
    const written: AuditEntry[] = [];
    const retentionMs = open.length ? await this.retentionMs() : 0;
    for (const run of open) {
      const end = await this.endOf(run, retentionMs);
      if (!end) continue;
      const { written: wrote, record } = await this.audit.append(end);
      if (wrote) {
        written.push(end);
        // The log's copy of the record, like every record the worker writes.
        copyToLog(this.logger, record);
      }
    }
    return written;
  }

  /** Runs reconcileOnce every `intervalMs` until stop(); a pass that fails is logged and tried at the next. */
  start(intervalMs = DEFAULT_RECONCILE_INTERVAL_MS): void {
    const pass = () => {
      if (this.running) return;
      this.running = this.reconcileOnce()
        .catch((err: Error) => this.logger?.warn({ err }, 'could not reconcile the ends of runs'))
        .finally(() => (this.running = null));
    };
    this.timer = setInterval(pass, intervalMs);
    this.timer.unref();
    pass();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** The namespace's retention: a run Temporal does not know was either forgotten (older) or is not its own. */
  private async retentionMs(): Promise<number> {
    const { config } = await this.client.workflowService.describeNamespace({
      namespace: this.client.options.namespace,
    });
    const ttl = config?.workflowExecutionRetentionTtl;
    return ttl ? Number(ttl.seconds ?? 0) * 1000 : 24 * 3_600_000;
  }

  /** The end record for a run that is no longer running, or null while it runs (or when it is not this namespace's). */
  private async endOf(run: OpenRun, retentionMs: number): Promise<AuditEntry | null> {
    const record = (summary: string, details: Record<string, unknown>): AuditEntry => ({
      workflowId: run.workflowId,
      runId: run.runId,
      seq: run.lastSeq + 1,
      at: new Date().toISOString(),
      runbook: run.runbook,
      event: 'ended',
      operator: run.operator,
      app: run.app,
      environment: run.environment,
      summary,
      details: { recordedBy: 'end reconciler', ...details },
    });
    const unknownState = run.app
      ? ` It wrote no end of its own, so how it left ${run.app} is not known: check it (\`runbook run app-status --app ${run.app}\`).`
      : ' It wrote no end of its own.';
    let description;
    try {
      description = await this.client.workflow.getHandle(run.workflowId, run.runId).describe();
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      // Not found: past retention if it started that long ago; otherwise another namespace's run sharing the trail.
      if (Date.parse(run.startedAt) > Date.now() - retentionMs) return null;
      return record(
        `${run.runbook} is no longer in Temporal (past its retention?): how it ended is not known.${unknownState}`,
        {
          status: 'NOT_FOUND',
        },
      );
    }
    const status = description.status.name;
    if (status === 'RUNNING') return null;
    const closedAt = description.closeTime?.toISOString() ?? null;
    if (status === 'TERMINATED' || status === 'TIMED_OUT') {
      const end = await endedInTemporal(this.client, description);
      return record(`${run.runbook} was ${end.message}, at ${closedAt}.${unknownState}`, {
        status,
        closedAt,
        ...(end.identity && { identity: end.identity }),
        ...(end.reason && { reason: end.reason }),
      });
    }
    // It ended by its own code but could not write its end (the trail was down then): Temporal keeps how.
    return record(
      `${run.runbook} ended ${status.toLowerCase()} in Temporal at ${closedAt}, without an end in the trail (the trail was unavailable then?).${unknownState}`,
      {
        status,
        closedAt,
      },
    );
  }
}
