import { createInterface } from 'node:readline/promises';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { Command } from 'commander';
import { formatPlan } from '../../common/disaster-recovery';
import { approveUpdate, rejectUpdate } from '../../common/messages';
import { connectClient } from '../connection';
import { temporalSettingsFromEnv } from '../../lib/temporal-settings';
import { resolveOperator } from '../operator';
import { describeRun } from '../runs';
import { UsageError } from '../usage-error';

async function waitingRun(workflowId: string) {
  const client = await connectClient(temporalSettingsFromEnv());
  const { handle, view } = await describeRun(client, workflowId);
  if (view.state !== 'RUNNING')
    throw new UsageError(`${workflowId} is not running (${view.state}): there is nothing to approve or reject.`);
  if (!view.workerPolling) {
    throw new Error(
      `No worker polls task queue "${view.taskQueue}": the run can neither show its plan nor go on. Start one (\`runbook worker\`), then approve.`,
    );
  }
  if (!view.approval) {
    throw new UsageError(
      `${workflowId} (${view.runbook}) does not take approvals, or no worker answered for it (\`runbook status ${workflowId}\`).`,
    );
  }
  return { handle, view, approval: view.approval };
}

/** The validator's reason, when the run refused the Update. */
function refusal(err: unknown): never {
  if (err instanceof WorkflowUpdateFailedError) throw new Error(`Refused: ${err.cause?.message ?? err.message}`);
  throw err;
}

/**
 * `runbook approve <id>`: shows the plan awaiting approval and its hash, asks for confirmation, and approves
 * exactly that hash (the run refuses a stale one). Without a terminal it never waits for an answer: --yes.
 */
export function approveCommand(): Command {
  return new Command('approve')
    .description('approve the plan a run waits on (four-eyes): shows the plan and its hash, then asks')
    .argument('<workflow-id>')
    .option('--yes', 'approve without asking (after reading the plan: it is printed all the same)')
    .option('--reason <text>', 'why you approve, kept with the run')
    .option('--operator <name>', 'who approves (default: RUNBOOK_OPERATOR, else the OS user)')
    .action(async (workflowId: string, flags: { yes?: boolean; reason?: string; operator?: string }) => {
      const { handle, approval } = await waitingRun(workflowId);
      if (approval.status !== 'waiting' || !approval.plan || !approval.planHash) {
        throw new UsageError(`${workflowId} is not waiting for approval (it is ${approval.status}).`);
      }
      const approver = resolveOperator(flags.operator);
      console.log(formatPlan(approval.plan, approval.planHash));
      if (approval.drift) console.log(`  Note: ${approval.drift}`);
      if (!flags.yes) {
        if (!process.stdin.isTTY) {
          throw new UsageError(
            'No terminal to confirm on: read the plan above, then run again with --yes to approve it.',
          );
        }
        const prompt = createInterface({ input: process.stdin, output: process.stdout });
        const answer = await prompt.question(
          `Approve plan ${approval.planHash} as ${approver}? Type "yes" to approve: `,
        );
        prompt.close();
        if (answer.trim().toLowerCase() !== 'yes') {
          console.log('Not approved: nothing was sent. The run keeps waiting.');
          process.exitCode = 1;
          return;
        }
      }
      const decision = await handle
        .executeUpdate(approveUpdate, {
          args: [{ approver, planHash: approval.planHash, ...(flags.reason && { reason: flags.reason }) }],
        })
        .catch(refusal);
      console.log(
        `✔ Plan ${decision.planHash} approved by ${decision.by}. The run goes on: runbook status ${workflowId}`,
      );
    });
}

/** `runbook reject <id> --reason …`: ends the run before it changes anything. */
export function rejectCommand(): Command {
  return new Command('reject')
    .description('reject the plan a run waits on; the run ends with nothing changed')
    .argument('<workflow-id>')
    .requiredOption('--reason <text>', 'why, kept with the run')
    .option('--operator <name>', 'who rejects (default: RUNBOOK_OPERATOR, else the OS user)')
    .action(async (workflowId: string, flags: { reason: string; operator?: string }) => {
      const { handle } = await waitingRun(workflowId);
      const decision = await handle
        .executeUpdate(rejectUpdate, { args: [{ approver: resolveOperator(flags.operator), reason: flags.reason }] })
        .catch(refusal);
      console.log(`✔ Rejected by ${decision.by}: ${decision.reason}. The run ends with nothing changed.`);
    });
}
