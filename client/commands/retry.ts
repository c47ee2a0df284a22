import { Command } from 'commander';
import { RUNBOOKS, type RunbookId } from '../../common/runbooks';
import type { IdentityProver } from '../identity';
import { resolveOperator } from '../operator';
import { UsageError } from '../usage-error';

/**
 * `runbook retry <id>`: after the cause of a failure is fixed. A disaster recovery continues from where it stopped
 * (a new run with `resumeFrom`, which verifies what the failed run did and never restores twice); the other
 * runbooks, which read before they change, run again with the same input.
 */
export function retryCommand(): Command {
  return new Command('retry')
    .description('run a failed or cancelled runbook again; disaster recovery continues from the failed step')
    .argument('<workflow-id>')
    .option('--run-id <id>', 'a particular run of that workflow ID (default: its latest)')
    .option('--reason <text>', 'why, kept with the new run')
    .option('--json', 'print the outcome as JSON')
    .option('--no-wait', "print the new run's workflowId and runId at once instead of waiting")
    .action(async (workflowId: string, flags: { runId?: string; reason?: string; json?: boolean; wait?: boolean }) => {
      const { connectClient } = await import('../connection');
      const { temporalSettingsFromEnv } = await import('../../lib/temporal-settings');
      const { followRun } = await import('../follow');
      const { startRunbook } = await import('../launch');
      const { IdentityProver } = await import('../identity');
      const { describeRun, startInput } = await import('../runs');
      const settings = temporalSettingsFromEnv();
      const client = await connectClient(settings);
      const { handle, view } = await describeRun(client, workflowId, flags.runId);
      if (view.state === 'RUNNING')
        throw new UsageError(`${workflowId} is still running: nothing to retry (\`runbook status ${workflowId}\`).`);
      if (view.state === 'COMPLETED') throw new UsageError(`${workflowId} succeeded: nothing to retry.`);
      const name = Object.entries(RUNBOOKS).find(
        ([, definition]) => definition.workflowType === view.workflowType,
      )?.[0] as RunbookId | undefined;
      if (!name)
        throw new UsageError(
          `${workflowId} is a ${view.workflowType} workflow, not a runbook: it cannot be retried here.`,
        );
      const input = await startInput(handle);
      delete input.dryRun;
      // The failed run's proof was used (and revoked): this run is proven anew, by whoever retries it.
      delete input.proof;
      if (input.set) {
        throw new UsageError(
          `${workflowId}'s config values were sealed for that run and cannot be moved to another: run set-config-vars again with the values.`,
        );
      }
      let prover: IdentityProver;
      try {
        prover = IdentityProver.fromEnv();
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      const retried: Record<string, unknown> = {
        ...input,
        operator: resolveOperator(),
        reason:
          flags.reason ?? (input.reason ? `retry of ${workflowId}: ${String(input.reason)}` : `retry of ${workflowId}`),
        ...(name === 'disaster-recovery' && { resumeFrom: { workflowId, runId: view.runId } }),
      };
      const started = await startRunbook(client, name, retried as never, { taskQueue: settings.taskQueue, prover });
      if (!flags.json)
        console.error(`Retrying ${workflowId}${name === 'disaster-recovery' ? ' from where it stopped' : ''}.`);
      await followRun(client, settings, settings.taskQueue, name, started, flags);
    });
}
