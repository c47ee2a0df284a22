import { Command } from 'commander';
import type { RunView } from '../runs';
import { UsageError } from '../usage-error';

interface WatchFlags {
  runId?: string;
  json?: boolean;
}

/**
 * `runbook watch <id>`: follows any run to its end with the same view as `runbook run` — also a run started from the
 * Temporal UI or another shell, since everything it shows comes from Temporal and the run's queries. Exit status as
 * for `runbook run`: 0 the run succeeded, 1 it did not; an ended run prints its final state and exits at once.
 */
export function watchCommand(): Command {
  return new Command('watch')
    .description('follow a run until it ends, also one started from the Temporal UI (exit 0 if it succeeded, 1 if not)')
    .argument('<workflow-id>')
    .option('--run-id <id>', 'a particular run of that workflow ID (default: its latest)')
    .option('--json', 'print only the final state, as JSON (as `runbook status --json`), once the run ends')
    .action((workflowId: string, flags: WatchFlags) => watch(workflowId, flags));
}

async function watch(workflowId: string, flags: WatchFlags): Promise<void> {
  const { connectClient } = await import('../connection');
  const { temporalSettingsFromEnv, workflowUrl } = await import('../../lib/temporal-settings');
  const { formatOutcome } = await import('../format');
  const { followProgress, progressViewFor } = await import('../live-view');
  const { findRunbook } = await import('../runbook-reference');
  const { describeRun, formatRun, RunNotFoundError } = await import('../runs');
  const settings = temporalSettingsFromEnv();
  const client = await connectClient(settings);
  const described = await describeRun(client, workflowId, flags.runId).catch((err: Error) => {
    // Nothing to watch: the ID on the command line is wrong (or the run is past retention).
    throw err instanceof RunNotFoundError ? new UsageError(err.message) : err;
  });
  let view = described.view;
  const link = workflowUrl(settings, view.workflowId, view.runId);
  // A run started from the UI before its worker set the search attribute is known by its workflow type only.
  const runbook = findRunbook(view.runbook) ?? view.runbook;

  if (view.state === 'RUNNING') {
    if (!flags.json) {
      console.error(`Watching ${runbook} on ${where(view)}, by ${view.operator ?? 'unknown'} — ${view.workflowId}`);
      if (!view.workerPolling)
        console.error(
          `Warning: no worker is polling task queue "${view.taskQueue}". The run waits until one starts (\`runbook worker\`).`,
        );
    }
    const onInterrupt = () => {
      console.error(
        `\nStopped watching. ${runbook} goes on in Temporal: \`runbook watch ${view.workflowId}\`, ${link}`,
      );
      process.exit(130);
    };
    process.once('SIGINT', onInterrupt);
    const { outcome, last } = await followProgress(
      described.handle,
      view.runId,
      progressViewFor(flags, view.workflowId),
    );
    process.off('SIGINT', onInterrupt);
    if (outcome.status !== 'succeeded') process.exitCode = 1;
    if (!flags.json) {
      console.log(formatOutcome(runbook, outcome, link, last?.progress?.leftState));
      return;
    }
    view = (await describeRun(client, view.workflowId, view.runId)).view;
  } else if (view.state !== 'COMPLETED') {
    process.exitCode = 1;
  }
  // Ended (before or while watching): its final state, as `runbook status` prints it.
  console.log(flags.json ? JSON.stringify({ ...view, url: link }, null, 2) : formatRun(view, link));
}

function where(view: RunView): string {
  return view.app ? `${view.app}${view.environment ? ` (${view.environment})` : ''}` : (view.environment ?? '?');
}
