import { Command } from 'commander';
import type { SealingKeys } from '../../lib/sealing';
import { UsageError } from '../usage-error';

const ROTATION =
  'To rotate: put the new private key FIRST in RUNBOOK_SEAL_KEYS, keep the old ones after it until no run started before the rotation is in flight, and hand out the new public key.';

/**
 * `runbook keys`: the sealing key pair. The worker holds the private key (RUNBOOK_SEAL_KEYS) and alone can open
 * sealed config-var values; CLI users hold the public key (RUNBOOK_SEAL_PUBLIC_KEY) and can only seal.
 */
export function keysCommand(): Command {
  const keys = new Command('keys')
    .description("the sealing keys: the worker's private key opens config-var values, the CLI's public key seals them")
    .allowExcessArguments()
    .action(() => {
      // Reached only when no subcommand matched.
      throw new UsageError(
        'Which? `runbook keys generate` or `runbook keys public` (sealing keys), or `runbook keys audit` (the audit key pair).',
      );
    });
  keys.addCommand(
    new Command('generate')
      .description('make a new key pair: the private key for the worker, the public key for CLI users')
      .option('--json', 'print {"privateKey", "publicKey", "keyId"}')
      .action(async (flags: { json?: boolean }) => {
        const { Sealer, SealingKeys } = await import('../../lib/sealing');
        const { privateKey, publicKey } = SealingKeys.generate();
        const { keyId } = new Sealer(publicKey);
        if (flags.json) {
          console.log(JSON.stringify({ privateKey, publicKey, keyId }, null, 2));
          return;
        }
        console.log(
          [
            `A new sealing key pair (key ID ${keyId}).`,
            '',
            "Private key — the worker's RUNBOOK_SEAL_KEYS. Secret: keep it with the worker (and its secrets store),",
            'never give it to CLI users; whoever holds it can open every sealed value.',
            '',
            `  RUNBOOK_SEAL_KEYS=${privateKey}`,
            '',
            "Public key — CLI users' RUNBOOK_SEAL_PUBLIC_KEY. Not secret: it can seal values for the worker, never open them.",
            '',
            `  RUNBOOK_SEAL_PUBLIC_KEY=${publicKey}`,
            '',
            ROTATION,
          ].join('\n'),
        );
      }),
  );
  keys.addCommand(
    new Command('public')
      .description("print the public key of RUNBOOK_SEAL_KEYS' newest key (run it where the worker's private key is)")
      .option('--json', 'print {"publicKey", "keyId", "keyIds"}')
      .action(async (flags: { json?: boolean }) => {
        const { SealingError, SealingKeys } = await import('../../lib/sealing');
        let held: SealingKeys | undefined;
        try {
          held = SealingKeys.fromEnv();
        } catch (err) {
          if (err instanceof SealingError) throw new UsageError(err.message);
          throw err;
        }
        if (!held)
          throw new UsageError(
            "RUNBOOK_SEAL_KEYS is not set: run `runbook keys public` where the worker's private keys are (RUNBOOK_SEAL_KEYS), or make a new pair with `runbook keys generate`.",
          );
        const publicKey = held.publicKey();
        const [keyId, ...older] = held.keyIds();
        if (flags.json) {
          console.log(JSON.stringify({ publicKey, keyId, keyIds: held.keyIds() }, null, 2));
          return;
        }
        console.log(publicKey);
        console.error(
          `The public key of the newest key in RUNBOOK_SEAL_KEYS (key ID ${keyId}${older.length ? `; older keys kept to open runs sealed before: ${older.join(', ')}` : ''}): give it to CLI users as RUNBOOK_SEAL_PUBLIC_KEY.`,
        );
      }),
  );
  keys.addCommand(
    new Command('audit')
      .description(
        'make an audit key pair: the worker signs the trail with the private key, verifiers trust the public key',
      )
      .option('--json', 'print {"privateKey", "publicKey", "keyId"}')
      .action(async (flags: { json?: boolean }) => {
        const { AuditSigner } = await import('../../lib/audit/audit-keys');
        const made = AuditSigner.generate();
        if (flags.json) {
          console.log(JSON.stringify(made, null, 2));
          return;
        }
        console.log(
          [
            `A new audit key pair (key ID ${made.keyId}).`,
            '',
            "Private key — the worker's RUNBOOK_AUDIT_SIGNING_KEY. Secret: whoever holds it can write records that verify.",
            '',
            `  RUNBOOK_AUDIT_SIGNING_KEY=${made.privateKey}`,
            '',
            'Public key — RUNBOOK_AUDIT_PUBLIC_KEYS of whoever runs `runbook audit verify`. Not secret.',
            '',
            `  RUNBOOK_AUDIT_PUBLIC_KEYS=${made.publicKey}`,
            '',
            'To rotate: give the worker the new private key, and keep the old public key in RUNBOOK_AUDIT_PUBLIC_KEYS (comma-separated) for the records it signed.',
          ].join('\n'),
        );
      }),
  );
  return keys;
}
