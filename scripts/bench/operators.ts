// The bench's operators at the keyboard, as in the chaos run: alice launches with `runbook run`, with her own Heroku
// login (so every run is proven), and bob approves with `runbook approve`.
import { SEED_PEOPLE } from '../../simulator';
import { printedOutcome, runbookCli, type CliResult } from '../chaos/cli-runs';
import type { LocalStack } from '../local-stack';

export interface Launch {
  runbook: string;
  environment: string;
  /** The runbook's own flags, e.g. ['--backup', 'b016']. */
  flags?: string[];
  reason: string;
  workflowId: string;
  /** `--no-wait`: the CLI returns once the run has started. */
  detach?: boolean;
  deadlineMs?: number;
}

/** `runbook run <runbook> --env <environment> … --json` as alice. */
export function aliceRuns(stack: LocalStack, launch: Launch): Promise<CliResult> {
  return runbookCli(
    [
      'run',
      launch.runbook,
      '--env',
      launch.environment,
      ...(launch.flags ?? []),
      '--reason',
      launch.reason,
      '--workflow-id',
      launch.workflowId,
      launch.detach ? '--no-wait' : '--json',
    ],
    stack.cliEnv(SEED_PEOPLE.alice.token),
    stack.cliLogFile,
    launch.deadlineMs ?? 20 * 60_000,
  );
}

/** The same, failing unless the run succeeded (what a benchmark times must be a run that did its work). */
export async function aliceRunsToSuccess(stack: LocalStack, launch: Launch): Promise<CliResult> {
  const result = await aliceRuns(stack, launch);
  if (printedOutcome(result.stdout)?.status !== 'succeeded')
    throw new Error(`${launch.runbook} did not succeed: ${result.stdout.slice(-1500)}${result.stderr}`);
  return result;
}

/** `runbook approve <workflowId> --yes` as bob, the second person. */
export function bobApproves(stack: LocalStack, workflowId: string, reason: string): Promise<CliResult> {
  return runbookCli(
    ['approve', workflowId, '--yes', '--reason', reason],
    stack.cliEnv(SEED_PEOPLE.bob.token),
    stack.cliLogFile,
    120_000,
  );
}
