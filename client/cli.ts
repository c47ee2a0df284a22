import { Command, CommanderError } from 'commander';
import { approveCommand, rejectCommand } from './commands/approve';
import { auditCommand } from './commands/audit';
import { cancelCommand } from './commands/cancel';
import { describeCommand } from './commands/describe';
import { historyCommand } from './commands/history';
import { keysCommand } from './commands/keys';
import { listCommand } from './commands/list';
import { manualCommand } from './commands/manual';
import { proofCommand } from './commands/proof';
import { retryCommand } from './commands/retry';
import { runCommand } from './commands/run';
import { schemaCommand } from './commands/schema';
import { showCommand } from './commands/show';
import { statusCommand } from './commands/status';
import { watchCommand } from './commands/watch';
import { UsageError } from './usage-error';

// Every command is one file under commands/ that builds its commander Command (name, arguments, options, help)
// from light modules only: commander, the runbook catalogue and the flag helpers. What it does when it runs — the
// Temporal SDK, the audit stores (better-sqlite3, pg), sealing and identity proofs, the live view — it loads in its
// action (`await import(…)`), so `runbook --help` and `runbook list` never load them (test/cli-lazy-load.test.ts).

/**
 * A command that is a program of its own (the worker, the simulator): listed in `runbook --help`, but loaded only
 * when it runs, so the CLI's everyday commands never load the worker's or the simulator's code.
 */
export interface ProgramCommand {
  summary: string;
  load(): Command;
}

export function buildProgram(programs: Record<string, ProgramCommand> = {}): Command {
  const program = new Command('runbook').description('Heroku runbooks as durable Temporal workflows');
  for (const command of [
    listCommand(),
    runCommand(),
    statusCommand(),
    watchCommand(),
    describeCommand(),
    schemaCommand(),
    approveCommand(),
    rejectCommand(),
    cancelCommand(),
    proofCommand(),
    retryCommand(),
    manualCommand(),
    auditCommand(),
    historyCommand(),
    showCommand(),
    keysCommand(),
  ]) {
    program.addCommand(command);
  }
  // Listed for help only: main() hands these to the program itself before commander parses anything.
  for (const [name, { summary }] of Object.entries(programs)) program.command(name).description(summary);
  // addCommand does not pass exitOverride on; without it commander exits 1 on a usage error, not 2.
  const override = (command: Command): void => {
    command.exitOverride();
    command.commands.forEach(override);
  };
  override(program);
  return program;
}

/** Exit codes: 0 done, 1 the runbook (or the tool) failed, 2 the command line was wrong. */
export async function main(argv: string[], programs: Record<string, ProgramCommand> = {}): Promise<void> {
  try {
    const name = argv[2];
    const own = name !== undefined && Object.prototype.hasOwnProperty.call(programs, name) ? programs[name] : undefined;
    if (own) await own.load().exitOverride().parseAsync(argv.slice(3), { from: 'user' });
    else await buildProgram(programs).parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    console.error(`runbook: ${(err as Error).message}`);
    process.exitCode = err instanceof UsageError ? 2 : 1;
  }
}
