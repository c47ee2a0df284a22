import { createInterface } from 'node:readline/promises';
import { Command } from 'commander';
import type { IdentityProver } from '../identity';
import { UsageError } from '../usage-error';

export async function waitingRun(workflowId: string) {
  const { connectClient } = await import('../connection');
  const { temporalSettingsFromEnv } = await import('../../lib/temporal-settings');
  const { describeRun } = await import('../runs');
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

/** The run's reason, when it refused the Update. */
async function refusal(err: unknown): Promise<never> {
  const { WorkflowUpdateFailedError } = await import('@temporalio/client');
  if (err instanceof WorkflowUpdateFailedError) throw new Error(`Refused: ${err.cause?.message ?? err.message}`);
  throw err;
}

/** Who you are is proven by your Heroku login, not typed: the CLI makes a single-use proof for each message. */
async function prover(): Promise<IdentityProver> {
  const { IdentityProver } = await import('../identity');
  try {
    return IdentityProver.fromEnv();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/**
 * `runbook approve <id>`: shows the plan awaiting approval and its hash, asks for confirmation, and approves
 * exactly that hash, proven with your Heroku login (the run refuses a stale hash, the requester, and anyone the
 * environment's rules do not allow). Without a terminal it never waits for an answer: --yes.
 */
export function approveCommand(): Command {
  return new Command('approve')
    .description('approve the plan a run waits on (four-eyes), as your Heroku login proves you: shows it, then asks')
    .argument('<workflow-id>')
    .option('--yes', 'approve without asking (after reading the plan: it is printed all the same)')
    .option('--reason <text>', 'why you approve, kept with the run')
    .action(async (workflowId: string, flags: { yes?: boolean; reason?: string }) => {
      const { formatPlan } = await import('../../common/disaster-recovery');
      const { approveUpdate } = await import('../../common/messages');
      const proofs = await prover();
      const { handle, approval } = await waitingRun(workflowId);
      if (approval.status !== 'waiting' || !approval.planHash || !(approval.plan || approval.planText)) {
        throw new UsageError(`${workflowId} is not waiting for approval (it is ${approval.status}).`);
      }
      console.log(approval.plan ? formatPlan(approval.plan, approval.planHash) : approval.planText);
      console.log(
        `  Needs ${approval.needed} verified approver${approval.needed === 1 ? '' : 's'} (${approval.approvers}); approved so far: ${approval.approvals.map((a) => a.by).join(', ') || 'nobody'}`,
      );
      if (approval.drift) console.log(`  Note: ${approval.drift}`);
      if (!flags.yes) {
        if (!process.stdin.isTTY) {
          throw new UsageError(
            'No terminal to confirm on: read the plan above, then run again with --yes to approve it.',
          );
        }
        const prompt = createInterface({ input: process.stdin, output: process.stdout });
        const answer = await prompt.question(`Approve plan ${approval.planHash}? Type "yes" to approve: `);
        prompt.close();
        if (answer.trim().toLowerCase() !== 'yes') {
          console.log('Not approved: nothing was sent. The run keeps waiting.');
          process.exitCode = 1;
          return;
        }
      }
      const { proof } = await proofs.prove('approve', workflowId, approval.planHash);
      const decision = await handle
        .executeUpdate(approveUpdate, {
          args: [{ planHash: approval.planHash, proof, ...(flags.reason && { reason: flags.reason }) }],
        })
        .catch(refusal);
      console.log(
        decision.remaining
          ? `✔ Plan ${decision.planHash} approved by ${decision.by}; ${decision.remaining} more verified approval${decision.remaining === 1 ? '' : 's'} needed before the run goes on.`
          : `✔ Plan ${decision.planHash} approved by ${decision.by}. The run goes on: runbook status ${workflowId}`,
      );
    });
}

/** `runbook reject <id> --reason …`: ends the run before it changes anything. */
export function rejectCommand(): Command {
  return new Command('reject')
    .description('reject the plan a run waits on, as your Heroku login proves you; the run ends with nothing changed')
    .argument('<workflow-id>')
    .requiredOption('--reason <text>', 'why, kept with the run')
    .action(async (workflowId: string, flags: { reason: string }) => {
      const { rejectUpdate } = await import('../../common/messages');
      const proofs = await prover();
      const { handle } = await waitingRun(workflowId);
      const { proof } = await proofs.prove('reject', workflowId, 'run');
      const decision = await handle
        .executeUpdate(rejectUpdate, { args: [{ reason: flags.reason, proof }] })
        .catch(refusal);
      console.log(`✔ Rejected by ${decision.by}: ${decision.reason}. The run ends with nothing changed.`);
    });
}
