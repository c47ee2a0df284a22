import { Command } from 'commander';
import { UsageError } from '../usage-error';

/**
 * `runbook cancel <id>`: asks the run to stop, the same as the UI's Cancel. The run compensates (scales processes
 * back, and turns maintenance off unless the database may be inconsistent) before it ends; this waits for that and
 * prints the state the app was left in.
 */
export function cancelCommand(): Command {
  return new Command('cancel')
    .description('cancel a running runbook; it compensates, and this prints the state it left the app in')
    .argument('<workflow-id>')
    .option('--json', 'print JSON')
    .option('--no-wait', 'ask for the cancellation and return at once')
    .action(async (workflowId: string, flags: { json?: boolean; wait?: boolean }) => {
      const { cancelUpdate } = await import('../../common/messages');
      const { connectClient } = await import('../connection');
      const { IdentityProver } = await import('../identity');
      const { temporalSettingsFromEnv, workflowUrl } = await import('../../lib/temporal-settings');
      const { describeRun, formatRun } = await import('../runs');
      const settings = temporalSettingsFromEnv();
      const client = await connectClient(settings);
      const { handle, view } = await describeRun(client, workflowId);
      if (view.state !== 'RUNNING')
        throw new UsageError(`${workflowId} is not running (${view.state}): nothing to cancel.`);
      // Who cancels goes on the record first, proven (a Temporal cancel request carries no payload). Without a
      // Heroku login the cancellation still goes ahead, and the run records it as unverified.
      let by = 'an unverified caller';
      try {
        const { proof } = await IdentityProver.fromEnv().prove('cancel', workflowId, 'run');
        by = (await handle.executeUpdate(cancelUpdate, { args: [{ proof }] })).by;
      } catch (err) {
        console.error(`Cancelling without a proven identity (${(err as Error).message}).`);
      }
      await handle.cancel();
      if (!flags.json) console.error(`Cancelled by ${by}.`);
      if (flags.wait === false) {
        console.log(
          flags.json
            ? JSON.stringify({ workflowId, runId: view.runId, cancelRequested: true })
            : `Cancellation requested for ${workflowId}; follow it: runbook status ${workflowId}`,
        );
        return;
      }
      if (!flags.json) console.error(`Cancellation requested for ${workflowId}: waiting while it compensates…`);
      await handle.result().catch(() => undefined);
      const { view: after } = await describeRun(client, workflowId, view.runId);
      const link = workflowUrl(settings, after.workflowId, after.runId);
      console.log(flags.json ? JSON.stringify({ ...after, url: link }, null, 2) : formatRun(after, link));
      if (after.state !== 'CANCELLED') process.exitCode = 1;
    });
}
