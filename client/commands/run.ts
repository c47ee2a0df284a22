import { Command } from 'commander';
import { UsageError } from '../usage-error';
import { RUNBOOKS, type RunbookDefinition, type RunbookId } from '../../common/runbooks';
import type { IdentityProver } from '../identity';
import { resolveOperator } from '../operator';
import { flagsFor, inputFromFlags, optionFor, type FlagSpec } from '../schema-flags';

interface LaunchFlags {
  json?: boolean;
  wait?: boolean;
  taskQueue?: string;
  workflowId?: string;
  [input: string]: unknown;
}

/** `runbook run <runbook> [flags]`: one subcommand per runbook, its flags derived from the runbook's input schema. */
export function runCommand(): Command {
  const run = new Command('run')
    .description('run a runbook and wait for it to finish (`runbook run <runbook> --help` lists its inputs)')
    .argument('[runbook]')
    // An unknown runbook's flags are not worth an "unknown option" error: the runbook name is the problem.
    .allowUnknownOption()
    .allowExcessArguments()
    .action((name?: string) => {
      // Reached only when no runbook subcommand matched.
      const known = Object.keys(RUNBOOKS).join(', ');
      throw new UsageError(
        name
          ? `Unknown runbook "${name}". Runbooks: ${known} (see \`runbook list\`).`
          : `Which runbook? Runbooks: ${known}.`,
      );
    });
  for (const [name, definition] of Object.entries(RUNBOOKS))
    run.addCommand(runbookCommand(name as RunbookId, definition));
  return run;
}

function runbookCommand(name: RunbookId, definition: RunbookDefinition): Command {
  const specs = flagsFor(definition.input);
  const command = new Command(name).description(definition.summary);
  for (const spec of specs) {
    command.addOption(optionFor(spec));
    if (spec.negatable) command.option(`--no-${spec.flag.slice(2)}`, `the opposite of ${spec.flag}`);
  }
  return command
    .option('--json', 'print the outcome as JSON')
    .option(
      '--no-wait',
      "print the run's workflowId and runId at once instead of waiting (follow it with `runbook status`)",
    )
    .option('--task-queue <name>', 'task queue of the workers (default: RUNBOOK_TASK_QUEUE, else heroku-runbooks)')
    .option('--workflow-id <id>', 'workflow ID to use instead of a generated one')
    .action((flags: LaunchFlags) => launch(name, specs, flags));
}

async function launch(name: RunbookId, specs: FlagSpec[], flags: LaunchFlags): Promise<void> {
  const { checkWorkflowId, InvalidRunbookInputError, InvalidWorkflowIdError, newWorkflowId, startRunbook } =
    await import('../launch');
  const { InputPreparationError, prepareInput } = await import('../prepare-input');
  const { IdentityProver } = await import('../identity');
  const { temporalSettingsFromEnv } = await import('../../lib/temporal-settings');
  const { connectClient } = await import('../connection');
  const { followRun } = await import('../follow');
  let input: Record<string, unknown>;
  let workflowId: string;
  try {
    checkWorkflowId(flags.workflowId);
    const fromFlags = {
      ...inputFromFlags(specs, flags),
      operator: resolveOperator(),
    };
    // Chosen before sealing: sealed values are bound to the run's workflow ID, and open in that run only.
    workflowId = flags.workflowId ?? newWorkflowId(name, fromFlags as { environment?: string; app?: string });
    input = prepareInput(name, fromFlags, workflowId);
  } catch (err) {
    if (err instanceof InputPreparationError || err instanceof InvalidWorkflowIdError)
      throw new UsageError(err.message);
    throw err;
  }
  // Who starts the run is proven with the person's own Heroku login (see client/identity.ts).
  let prover: IdentityProver;
  try {
    prover = IdentityProver.fromEnv();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const settings = temporalSettingsFromEnv();
  const taskQueue = flags.taskQueue ?? settings.taskQueue;
  let handle;
  let client;
  try {
    client = await connectClient(settings);
    handle = await startRunbook(client, name, input as never, { taskQueue, workflowId, prover });
  } catch (err) {
    if (err instanceof InvalidWorkflowIdError) throw new UsageError(err.message);
    if (err instanceof InvalidRunbookInputError) {
      const problems = err.issues.issues.map((issue) => {
        const field = String(issue.path[0] ?? '');
        const flag = specs.find((spec) => spec.field === field)?.flag ?? field;
        return `${flag}: ${issue.message}`;
      });
      throw new UsageError(`Invalid flags for ${name}: ${problems.join('; ')}`);
    }
    throw err;
  }
  await followRun(client, settings, taskQueue, name, handle, flags);
}
