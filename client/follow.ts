import type { Client, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { workflowUrl, type TemporalSettings } from '../lib/temporal-settings';
import { formatOutcome } from './format';
import { followProgress, progressViewFor } from './live-view';
import { hasWorkflowPollers } from './pollers';

export interface FollowFlags {
  json?: boolean;
  /** false with --no-wait: print the IDs and return at once. */
  wait?: boolean;
}

/**
 * After a launch (`run`, `retry`): either print the run's IDs at once (--no-wait), or wait for the outcome and
 * print it. Exit code 1 when the run did not succeed. Ctrl-C stops the waiting, not the run.
 */
export async function followRun(
  client: Client,
  settings: TemporalSettings,
  taskQueue: string,
  name: string,
  handle: WorkflowHandleWithFirstExecutionRunId,
  flags: FollowFlags,
): Promise<void> {
  const link = workflowUrl(settings, handle.workflowId, handle.firstExecutionRunId);
  const ids = { workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
  if (flags.wait === false) {
    if (flags.json) console.log(JSON.stringify({ runbook: name, ...ids, url: link }, null, 2));
    else
      console.log(
        `Started ${name}: ${handle.workflowId}\n  Follow it: runbook status ${handle.workflowId}\n  Run: ${link}`,
      );
    return;
  }
  if (!flags.json) console.error(`Started ${name}: ${handle.workflowId} — waiting for it to finish…`);
  const onInterrupt = () => {
    console.error(`\nStopped waiting. ${name} goes on in Temporal: \`runbook status ${handle.workflowId}\`, ${link}`);
    process.exit(130);
  };
  process.once('SIGINT', onInterrupt);
  if (!(await hasWorkflowPollers(client, taskQueue))) {
    console.error(
      `Warning: no worker is polling task queue "${taskQueue}". The run waits until one starts (\`runbook worker\`).`,
    );
  }
  if (name === 'disaster-recovery' && !flags.json) {
    console.error(`If it needs approval, a second person runs: runbook approve ${handle.workflowId}`);
  }
  const { outcome, last } = await followProgress(
    handle,
    handle.firstExecutionRunId,
    progressViewFor(flags, handle.workflowId),
  );
  process.off('SIGINT', onInterrupt);
  console.log(
    flags.json
      ? JSON.stringify({ runbook: name, ...outcome, url: link }, null, 2)
      : formatOutcome(name, outcome, link, last?.progress?.leftState),
  );
  if (outcome.status !== 'succeeded') process.exitCode = 1;
}
