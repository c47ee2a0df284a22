import { Command, Option } from 'commander';
import { isRunbookId, RUNBOOKS } from '../../common/runbooks';
import { connectClient, temporalSettingsFromEnv, workflowUrl } from '../connection';
import { formatOutcome } from '../format';
import { InvalidRunbookInputError, startRunbook, waitForRunbook } from '../launch';
import { resolveOperator } from '../operator';
import { hasWorkflowPollers } from '../pollers';

interface RunFlags {
  env?: string;
  app?: string;
  reason?: string;
  operator?: string;
  json?: boolean;
  taskQueue?: string;
  workflowId?: string;
}

/** Input fields as the CLI spells them, so an invalid input names the flag the operator typed. */
const FLAG_FOR_FIELD: Record<string, string> = { environment: '--env', app: '--app', reason: '--reason', operator: '--operator' };

export class UsageError extends Error {}

export function runCommand(): Command {
  return new Command('run')
    .description('run a runbook and wait for it to finish')
    .argument('<runbook>', `one of: ${Object.keys(RUNBOOKS).join(', ')}`)
    .addOption(new Option('--env <name>', 'environment from the runbook config (e.g. staging, production)'))
    .addOption(new Option('--app <name>', 'Heroku app name, instead of --env'))
    .option('--reason <text>', 'why you are running it (kept with the run)')
    .option('--operator <name>', 'who is running it (default: RUNBOOK_OPERATOR, else your OS user)')
    .option('--json', 'print the outcome as JSON')
    .option('--task-queue <name>', 'task queue of the workers (default: RUNBOOK_TASK_QUEUE, else heroku-runbooks)')
    .option('--workflow-id <id>', 'workflow ID to use instead of a generated one')
    .action(async (name: string, flags: RunFlags) => {
      if (!isRunbookId(name)) {
        throw new UsageError(`Unknown runbook "${name}". Runbooks: ${Object.keys(RUNBOOKS).join(', ')} (see \`runbook list\`).`);
      }
      const input = {
        ...(flags.env !== undefined && { environment: flags.env }),
        ...(flags.app !== undefined && { app: flags.app }),
        ...(flags.reason !== undefined && { reason: flags.reason }),
        operator: resolveOperator(flags.operator),
      };
      const settings = temporalSettingsFromEnv();
      const taskQueue = flags.taskQueue ?? settings.taskQueue;
      let handle;
      let client;
      try {
        client = await connectClient(settings);
        handle = await startRunbook(client, name, input, { taskQueue, workflowId: flags.workflowId });
      } catch (err) {
        if (err instanceof InvalidRunbookInputError) {
          const problems = err.issues.issues.map((issue) => {
            const field = String(issue.path[0] ?? '');
            return `${FLAG_FOR_FIELD[field] ?? field}: ${issue.message}`;
          });
          throw new UsageError(`Invalid flags for ${name}: ${problems.join('; ')}`);
        }
        throw err;
      }
      const link = workflowUrl(settings, handle.workflowId, handle.firstExecutionRunId);
      if (!flags.json) console.error(`Started ${name}: ${handle.workflowId} — waiting for it to finish…`);
      // Ctrl-C stops the waiting, not the run: say so, and where to follow it.
      const onInterrupt = () => {
        console.error(`\nStopped waiting. ${name} goes on in Temporal: ${link}`);
        process.exit(130);
      };
      process.once('SIGINT', onInterrupt);
      if (!(await hasWorkflowPollers(client, taskQueue))) {
        console.error(
          `Warning: no worker is polling task queue "${taskQueue}". The run waits until one starts (\`runbook worker\`).`,
        );
      }
      const outcome = await waitForRunbook(handle);
      process.off('SIGINT', onInterrupt);
      console.log(flags.json ? JSON.stringify({ runbook: name, ...outcome, url: link }, null, 2) : formatOutcome(name, outcome, link));
      if (outcome.status !== 'succeeded') process.exitCode = 1;
    });
}
