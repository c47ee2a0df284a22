import { randomUUID } from 'node:crypto';
import {
  type Client,
  WorkflowFailedError,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import { ApplicationFailure, type SearchAttributePair } from '@temporalio/common';
import type { z } from 'zod';
import { RUNBOOKS, type RunbookId } from '../common/runbooks';
import { Environment, HerokuApp, Operator, RunbookName } from '../common/search-attributes';
import { DEFAULT_TASK_QUEUE } from '../common/task-queue';
import { causeChain } from '../common/errors';
import { describePerson, unverified } from '../common/identity';
import { checkInput, describeIssues } from '../common/validation';
import type { IdentityProver } from './identity';
import { DEFAULT_LOCK_PREFIX, workflowIdProblem } from '../common/workflow-ids';

export type RunbookInput<N extends RunbookId> = z.input<(typeof RUNBOOKS)[N]['input']>;

export class InvalidRunbookInputError extends Error {
  constructor(
    readonly runbook: string,
    readonly issues: z.ZodError,
  ) {
    super(`Invalid input for ${runbook}: ${describeIssues(issues)}`);
  }
}

/** A workflow ID the runbooks refuse (control characters, a lock's prefix): nothing was started. */
export class InvalidWorkflowIdError extends Error {}

/**
 * Refuses a workflow ID the runbooks would refuse: control characters (it reaches dyno commands and logs), or the
 * app locks' prefix. The workflow refuses these too — that is the guarantee; this says so before anything starts.
 */
export function checkWorkflowId(workflowId: string | undefined): void {
  if (workflowId === undefined) return;
  const problem = workflowIdProblem(workflowId, process.env.RUNBOOK_LOCK_PREFIX || DEFAULT_LOCK_PREFIX);
  if (problem) throw new InvalidWorkflowIdError(`--workflow-id ${problem}`);
}

export interface LaunchOptions {
  taskQueue?: string;
  workflowId?: string;
  /** Proves who starts the run (their Heroku login); without it the run is recorded as unverified. */
  prover?: IdentityProver;
}

/**
 * Starts a runbook. The input is checked against the runbook's schema first, so bad input never starts a run;
 * the workflow checks it again for runs started from the Temporal UI.
 */
export async function startRunbook<N extends RunbookId>(
  client: Client,
  name: N,
  input: RunbookInput<N>,
  options: LaunchOptions = {},
): Promise<WorkflowHandleWithFirstExecutionRunId> {
  const definition = RUNBOOKS[name];
  const parsed = checkInput(definition.input, input);
  if (!parsed.success) throw new InvalidRunbookInputError(name, parsed.error);
  checkWorkflowId(options.workflowId);
  const target = input as { environment?: string; app?: string; operator?: string; reason?: string; backup?: string };
  const workflowId = options.workflowId ?? newWorkflowId(name, target);
  // The proof is made for this run and this runbook: it opens for no other.
  const proven = options.prover ? await options.prover.prove('start', workflowId, name) : null;
  const args = proven ? { ...input, proof: proven.proof } : input;
  // Until the worker has verified the proof, the requester is what the proof's authorization says (or the claim).
  const requester = proven?.email ?? describePerson(unverified(target.operator));

  // Visible in the UI's list from the moment the run exists, before a worker has picked it up.
  const searchAttributes: SearchAttributePair[] = [
    { key: RunbookName, value: name },
    { key: Operator, value: requester },
  ];
  if (target.app) searchAttributes.push({ key: HerokuApp, value: target.app });
  if (target.environment) searchAttributes.push({ key: Environment, value: target.environment });

  return client.workflow.start(definition.workflowType, {
    args: [args],
    taskQueue: options.taskQueue ?? DEFAULT_TASK_QUEUE,
    workflowId,
    typedSearchAttributes: searchAttributes,
    // Shown on the run's page in the Temporal UI: what, where, who, why.
    staticSummary: `${name} on ${target.environment ?? target.app ?? 'unknown'} by ${requester}${proven ? ' (proven with Heroku)' : ''}${target.reason ? `: ${target.reason}` : ''}`,
    // The run's "User Metadata" details: its current details (the steps, what it waits for) sit beside them.
    staticDetails: [
      `- **Runbook:** ${name} (launched with \`runbook run\`)`,
      `- **${target.environment ? 'Environment' : 'App'}:** ${target.environment ?? target.app ?? 'unknown'}`,
      ...(target.backup ? [`- **Backup:** ${target.backup}`] : []),
      `- **Requested by:** ${requester}${proven ? ' (proven with Heroku)' : ' (unverified)'}`,
      `- **Reason:** ${target.reason ?? '(none given)'}`,
    ].join('\n'),
  });
}

/**
 * The workflow ID a launch without `--workflow-id` gets. Chosen before the run starts when the CLI must seal values
 * for it (they are bound to the workflow ID): pass the same ID to startRunbook.
 */
export function newWorkflowId(name: string, input: { environment?: string; app?: string }, now = new Date()): string {
  return defaultWorkflowId(name, input.environment ?? input.app ?? 'unknown', now);
}

/** `maintenance-on.staging.20261129T124001Z.1f3a`: readable in the UI's list, unique per launch. */
export function defaultWorkflowId(name: string, target: string, now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${name}.${target}.${stamp}.${randomUUID().slice(0, 4)}`;
}

export type RunbookOutcome<R> =
  | { status: 'succeeded'; workflowId: string; runId: string; result: R }
  | { status: 'failed'; workflowId: string; runId: string; error: { type?: string; message: string } };

/**
 * Waits for a run to end; a failed run is an outcome to report, not an exception. A handle from `getHandle` (a run
 * the CLI did not start: `runbook watch`) carries no first run ID: give the run's ID.
 */
export async function waitForRunbook<R>(
  handle: WorkflowHandleWithFirstExecutionRunId | WorkflowHandle,
  runId?: string,
): Promise<RunbookOutcome<R>> {
  const first = 'firstExecutionRunId' in handle ? handle.firstExecutionRunId : undefined;
  const ids = { workflowId: handle.workflowId, runId: runId ?? first ?? '' };
  try {
    const result = (await handle.result()) as R;
    return { status: 'succeeded', ...ids, result };
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    const cause = err.cause;
    // The root cause is the failure that explains the run: an activity's ApplicationFailure, say.
    const failure = (causeChain(cause).at(-1) ?? cause) as { message?: string; type?: string };
    return {
      status: 'failed',
      ...ids,
      error: {
        type: failure instanceof ApplicationFailure ? (failure.type ?? undefined) : undefined,
        message: failure?.message || err.message,
      },
    };
  }
}
