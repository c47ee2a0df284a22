import {
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionDescription,
  type WorkflowHandle,
} from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { ApprovalState } from '../common/disaster-recovery';
import type { RunbookProgress } from '../common/progress';
import { Environment, HerokuApp, Operator, RunbookName, RunbookOutcome } from '../common/search-attributes';
import { approvalQuery, progressQuery } from '../common/messages';
import { endedInTemporal } from '../lib/temporal-ends';
import { waitForRunbook, type RunbookOutcome as Outcome } from './launch';
import { hasWorkflowPollers } from './pollers';

// Library code behind `runbook status|cancel|retry|approve|reject`: one run, found by its workflow ID, described
// from Temporal (state, search attributes) and from the run itself (its `progress` and `approval` queries).

export class RunNotFoundError extends Error {}

export interface RunView {
  workflowId: string;
  runId: string;
  workflowType: string;
  runbook: string;
  operator: string | null;
  app: string | null;
  environment: string | null;
  /** Temporal's state: RUNNING, COMPLETED, FAILED, CANCELLED, TERMINATED, TIMED_OUT, CONTINUED_AS_NEW. */
  state: string;
  outcome: string | null;
  startedAt: string;
  closedAt: string | null;
  /** The run's `progress` and `approval` queries; for a closed run, as they stood when it ended. */
  progress: RunbookProgress | null;
  approval: ApprovalState | null;
  taskQueue: string;
  /** Whether a worker polls the run's task queue (without one, its steps cannot be read). */
  workerPolling: boolean;
  /**
   * Why the run failed (its root failure), for a closed run that did not succeed. A run ended in Temporal rather
   * than by its own code says so: `{ type: 'Terminated', message: 'terminated in Temporal by <identity>: <reason>' }`,
   * `{ type: 'TimedOut', … }`.
   */
  failure: { type?: string; message: string } | null;
  result: unknown;
}

function first(description: WorkflowExecutionDescription, key: typeof RunbookName): string | null {
  return description.typedSearchAttributes.get(key) ?? null;
}

export async function describeRun(
  client: Client,
  workflowId: string,
  runId?: string,
): Promise<{ handle: WorkflowHandle; view: RunView }> {
  const handle = client.workflow.getHandle(workflowId, runId);
  let description: WorkflowExecutionDescription;
  try {
    description = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      throw new RunNotFoundError(
        `No run ${workflowId}${runId ? ` (${runId})` : ''} in Temporal: check the ID (\`runbook audit\` lists past runs, also those past retention).`,
      );
    }
    throw err;
  }
  const state = description.status.name;
  // Queries are answered by a worker (a closed run's by replaying it). Without one polling, a query would wait
  // for the RPC deadline: do not ask, and say so; with one, give it a few seconds.
  const workerPolling = await hasWorkflowPollers(client, description.taskQueue).catch(() => false);
  const ask = async <T>(query: typeof progressQuery | typeof approvalQuery): Promise<T | null> =>
    workerPolling
      ? client.withDeadline(Date.now() + 5_000, () => handle.query(query as never) as Promise<T>).catch(() => null)
      : null;
  const progress = await ask<RunbookProgress>(progressQuery);
  // Every runbook answers it (most refuse approvals: they ask for none); older runs may not, and answer null.
  const approval = await ask<ApprovalState>(approvalQuery);
  let failure: RunView['failure'] = null;
  let result: unknown = null;
  if (state === 'TERMINATED' || state === 'TIMED_OUT') {
    // Temporal, not the run, ended it: its queries replay it only up to that moment (still "waiting for approval",
    // say). How it ended is in the close event of its history.
    failure = await endedInTemporal(client, description).catch((err: Error) => ({
      type: state === 'TERMINATED' ? 'Terminated' : 'TimedOut',
      message: `${state === 'TERMINATED' ? 'terminated' : 'timed out'} in Temporal (its history could not be read: ${err.message})`,
    }));
  } else if (state !== 'RUNNING') {
    const outcome: Outcome<unknown> = await waitForRunbook(
      client.workflow.getHandle(workflowId, description.runId) as never,
    ).catch(
      (err: Error) =>
        ({ status: 'failed', workflowId, runId: description.runId, error: { message: err.message } }) as const,
    );
    if (outcome.status === 'failed') failure = outcome.error;
    else result = outcome.result;
  }
  return {
    handle: client.workflow.getHandle(workflowId, description.runId),
    view: {
      workflowId,
      runId: description.runId,
      workflowType: description.type,
      runbook: first(description, RunbookName) ?? description.type,
      operator: first(description, Operator),
      app: first(description, HerokuApp),
      environment: first(description, Environment),
      state,
      outcome: first(description, RunbookOutcome),
      startedAt: description.startTime.toISOString(),
      closedAt: description.closeTime?.toISOString() ?? null,
      progress,
      approval,
      failure,
      result,
      taskQueue: description.taskQueue,
      workerPolling,
    },
  };
}

/** The input a run was started with: the first event of its history. */
export async function startInput(handle: WorkflowHandle): Promise<Record<string, unknown>> {
  const history = await handle.fetchHistory();
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) throw new Error(`Run ${handle.workflowId} has no input in its history.`);
  return defaultPayloadConverter.fromPayload(payload) as Record<string, unknown>;
}

export const MARK: Record<string, string> = {
  pending: '·',
  running: '▶',
  succeeded: '✔',
  failed: '✘',
  skipped: '–',
  compensated: '↺',
};

/** A run as `runbook status` prints it. */
export function formatRun(view: RunView, link: string): string {
  const where = view.app ? `${view.app}${view.environment ? ` (${view.environment})` : ''}` : (view.environment ?? '?');
  const lines = [
    `${view.runbook} on ${where}, by ${view.operator ?? 'unknown'} — ${view.workflowId}`,
    `  State: ${view.state}${view.outcome ? ` (${view.outcome})` : ''}; started ${view.startedAt}${view.closedAt ? `, ended ${view.closedAt}` : ''}`,
  ];
  const progress = view.progress;
  // A closed run is waiting for nothing and doing nothing: its queries tell where it was when it ended.
  const live = view.state === 'RUNNING';
  if (live && progress?.currentStep) {
    const step = progress.steps.find((s) => s.name === progress.currentStep);
    lines.push(`  Now: ${step?.title ?? progress.currentStep}${step?.detail ? ` — ${step.detail}` : ''}`);
  }
  if (live && view.approval?.status === 'waiting') {
    lines.push(
      `  Waiting for approval of plan ${view.approval.planHash} (requested by ${view.approval.requester}, until ${view.approval.expiresAt}):`,
    );
    lines.push(
      `    needs ${view.approval.needed} verified approver${view.approval.needed === 1 ? '' : 's'} (${view.approval.approvers ?? 'see the rules'}); approved so far: ${view.approval.approvals?.map((a) => a.by).join(', ') || 'nobody'}`,
    );
    lines.push(`    runbook approve ${view.workflowId}    or    runbook reject ${view.workflowId} --reason "…"`);
    if (view.approval.drift) lines.push(`    Note: ${view.approval.drift}`);
  }
  if (progress) {
    lines.push('  Steps:');
    const width = Math.max(...progress.steps.map((s) => s.name.length));
    for (const step of progress.steps) {
      // A step still "running" in a closed run was cut off; its detail said what it was waiting for, so it goes.
      const stopped = !live && step.status === 'running';
      const status = stopped ? `stopped when the run ended (${view.state})` : step.status;
      const detail = !stopped && step.detail ? `: ${step.detail}` : '';
      lines.push(`    ${stopped ? '■' : (MARK[step.status] ?? '?')} ${step.name.padEnd(width)}  ${status}${detail}`);
    }
  } else {
    lines.push(
      view.workerPolling
        ? '  (No worker answered for its steps in time: try again, or look at the run in the Temporal UI.)'
        : `  (No worker polls task queue "${view.taskQueue}", so its steps cannot be read${view.state === 'RUNNING' ? ' and it does not advance' : ''}: start one with \`runbook worker\`.)`,
    );
  }
  if (view.failure)
    lines.push(`  Outcome: ${view.failure.type ? `${view.failure.type}: ` : ''}${view.failure.message}`);
  if (view.state === 'TERMINATED' || view.state === 'TIMED_OUT') {
    lines.push(
      '  Ended by Temporal, not by the runbook: no compensation ran, so what its finished steps changed stays as they left it.',
    );
  }
  const summary = (view.result as { summary?: unknown } | null)?.summary;
  if (typeof summary === 'string') lines.push(`  Outcome: ${summary}`);
  if (progress?.leftState && !view.failure?.message.includes(progress.leftState)) lines.push(`  ${progress.leftState}`);
  lines.push(`  Run: ${link}`);
  return lines.join('\n');
}
