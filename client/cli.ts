import { Command, CommanderError } from 'commander';
import { simulatorCommand } from '../simulator/cli';
import { approveCommand, rejectCommand } from './commands/approve';
import { auditCommand } from './commands/audit';
import { cancelCommand } from './commands/cancel';
import { listCommand } from './commands/list';
import { manualCommand } from './commands/manual';
import { retryCommand } from './commands/retry';
import { runCommand, UsageError } from './commands/run';
import { statusCommand } from './commands/status';
import { workerCommand } from './commands/worker';

export function buildProgram(): Command {
  const program = new Command('runbook').description('Heroku runbooks as durable Temporal workflows');
  for (const command of [
    listCommand(),
    runCommand(),
    statusCommand(),
    approveCommand(),
    rejectCommand(),
    cancelCommand(),
    retryCommand(),
    manualCommand(),
    auditCommand(),
    workerCommand(),
    simulatorCommand(),
  ]) {
    program.addCommand(command);
  }
  // addCommand does not pass exitOverride on; without it commander exits 1 on a usage error, not 2.
  const override = (command: Command): void => {
    command.exitOverride();
    command.commands.forEach(override);
  };
  override(program);
  return program;
}

/** Exit codes: 0 done, 1 the runbook (or the tool) failed, 2 the command line was wrong. */
export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    console.error(`runbook: ${(err as Error).message}`);
    process.exitCode = err instanceof UsageError ? 2 : 1;
  }
}
