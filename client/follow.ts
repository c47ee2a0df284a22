import type { Client, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { workflowUrl, type TemporalSettings } from '../lib/temporal-settings';
import { formatOutcome } from './format';
import { waitForRunbook } from './launch';
import { hasWorkflowPollers } from './pollers';
import { MARK } from './runs';
import { progressQuery } from '../common/messages';

/**
 * Prints each step as it starts and ends (on stderr, one line each), so a long run is not a silent terminal:
 * "▶ Restore the backup — restoring b016: 42 % of 9.59 MB", then "✔ Restore the backup: r005 (succeeded, …)".
 */
class StepReporter {
  private readonly seen = new Map<string, string>();
  private stopped = false;
  private wake: (() => void) | null = null;

  constructor(private readonly handle: WorkflowHandleWithFirstExecutionRunId) {}

  async follow(): Promise<void> {
    while (!this.stopped) {
      await this.report();
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 1000).unref();
      });
    }
  }

  /** Prints what happened since the last look (the run has ended: its queries are answered from history). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.report();
  }

  private async report(): Promise<void> {
    // A few seconds at most: without a worker a query waits for the RPC deadline, and the run's outcome matters more.
    const progress = await this.handle.client
      .withDeadline(Date.now() + 5_000, () => this.handle.query(progressQuery))
      .catch(() => null);
    for (const step of progress?.steps ?? []) {
      const key = `${step.status}:${step.status === 'running' ? '' : (step.detail ?? '')}`;
      if (step.status === 'pending' || this.seen.get(step.name) === key) continue;
      this.seen.set(step.name, key);
      const detail = step.detail ? `${step.status === 'running' ? ' —' : ':'} ${step.detail}` : '';
      console.error(`  ${MARK[step.status] ?? '?'} ${step.title}${detail}`);
    }
  }
}

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
  const steps = flags.json ? null : new StepReporter(handle);
  const following = steps?.follow();
  const outcome = await waitForRunbook(handle);
  await steps?.stop();
  await following;
  process.off('SIGINT', onInterrupt);
  console.log(
    flags.json ? JSON.stringify({ runbook: name, ...outcome, url: link }, null, 2) : formatOutcome(name, outcome, link),
  );
  if (outcome.status !== 'succeeded') process.exitCode = 1;
}
