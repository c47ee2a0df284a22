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
  progress: RunbookProgress | null;
  approval: ApprovalState | null;
  taskQueue: string;
  /** Whether a worker polls the run's task queue (without one, its steps cannot be read). */
  workerPolling: boolean;
  /** Why the run failed (its root failure), for a closed run that did not succeed. */
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
  const approval = description.type === 'disasterRecovery' ? await ask<ApprovalState>(approvalQuery) : null;
  let failure: RunView['failure'] = null;
  let result: unknown = null;
  if (state !== 'RUNNING') {
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
  if (progress?.currentStep) {
    const step = progress.steps.find((s) => s.name === progress.currentStep);
    lines.push(`  Now: ${step?.title ?? progress.currentStep}${step?.detail ? ` — ${step.detail}` : ''}`);
  }
  if (view.approval?.status === 'waiting') {
    lines.push(
      `  Waiting for approval of plan ${view.approval.planHash} (requested by ${view.approval.requester}, until ${view.approval.expiresAt}):`,
    );
    lines.push(`    runbook approve ${view.workflowId}    or    runbook reject ${view.workflowId} --reason "…"`);
    if (view.approval.drift) lines.push(`    Note: ${view.approval.drift}`);
  }
  if (progress) {
    lines.push('  Steps:');
    const width = Math.max(...progress.steps.map((s) => s.name.length));
    for (const step of progress.steps) {
      lines.push(
        `    ${MARK[step.status] ?? '?'} ${step.name.padEnd(width)}  ${step.status}${step.detail ? `: ${step.detail}` : ''}`,
      );
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
  const summary = (view.result as { summary?: unknown } | null)?.summary;
  if (typeof summary === 'string') lines.push(`  Outcome: ${summary}`);
  if (progress?.leftState && !view.failure?.message.includes(progress.leftState)) lines.push(`  ${progress.leftState}`);
  lines.push(`  Run: ${link}`);
  return lines.join('\n');
}
