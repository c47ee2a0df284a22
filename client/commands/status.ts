import { Command } from 'commander';

/** `runbook status <id>`: the run's state, current step, approval and outcome (and how the app was left). */
export function statusCommand(): Command {
  return new Command('status')
    .description("show a run's state, current step and outcome (the latest run of the workflow ID unless --run-id)")
    .argument('<workflow-id>')
    .option('--run-id <id>', 'a particular run of that workflow ID')
    .option('--json', 'print JSON')
    .action(async (workflowId: string, flags: { runId?: string; json?: boolean }) => {
      const { connectClient } = await import('../connection');
      const { temporalSettingsFromEnv, workflowUrl } = await import('../../lib/temporal-settings');
      const { describeRun, formatRun } = await import('../runs');
      const settings = temporalSettingsFromEnv();
      const client = await connectClient(settings);
      const { view } = await describeRun(client, workflowId, flags.runId);
      const link = workflowUrl(settings, view.workflowId, view.runId);
      console.log(flags.json ? JSON.stringify({ ...view, url: link }, null, 2) : formatRun(view, link));
    });
}
