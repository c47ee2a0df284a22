import { Command } from 'commander';
import type { ProofAction } from '../../common/identity';
import type { IdentityProver } from '../identity';
import { UsageError } from '../usage-error';

/**
 * `runbook proof approve <id> --plan-hash <hash>`: prints a single-use identity proof to paste into a Signal or an
 * Update sent from the Temporal UI ({"planHash", "proof"}). It lives 5 minutes and opens only for that run, action
 * and plan hash.
 */
export function proofCommand(): Command {
  return new Command('proof')
    .description('print a single-use identity proof (your Heroku login) for an approval sent from the Temporal UI')
    .argument('<action>', 'approve, reject or cancel')
    .argument('<workflow-id>')
    .option('--plan-hash <hash>', 'for approve: the hash of the plan you approve')
    .action(async (action: string, workflowId: string, flags: { planHash?: string }) => {
      if (!['approve', 'reject', 'cancel'].includes(action))
        throw new UsageError(`Proofs are for approve, reject or cancel, not "${action}".`);
      if (action === 'approve' && !flags.planHash)
        throw new UsageError(
          'An approval proof names the plan you approve: --plan-hash <hash> (`runbook status <id>` shows it).',
        );
      const { IdentityProver } = await import('../identity');
      let prover: IdentityProver;
      try {
        prover = IdentityProver.fromEnv();
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      const subject = action === 'approve' ? flags.planHash! : 'run';
      const { proof, email } = await prover.prove(action as ProofAction, workflowId, subject);
      console.error(`A proof for ${email ?? 'you'} to ${action} ${workflowId}, valid 5 minutes, usable once:`);
      console.log(proof);
    });
}
