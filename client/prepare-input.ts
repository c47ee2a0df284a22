import { Sealer, SealingError } from '../lib/sealing';
import type { RunbookId } from '../common/runbooks';

export class InputPreparationError extends Error {}

/**
 * Client-side steps between the flags and the run: config-var values are sealed here, to the worker's public key
 * (RUNBOOK_SEAL_PUBLIC_KEY), so that what Temporal stores (history, UI, results) never holds them in the clear and no
 * CLI user can open them. Each is bound to the run's workflow ID (so choose it first, and start the run with it), its
 * environment and app as given, and its key: it opens for that run and that var only.
 */
export function prepareInput(
  name: RunbookId,
  input: Record<string, unknown>,
  workflowId: string,
  env: NodeJS.ProcessEnv = process.env,
): Record<string, unknown> {
  if (name !== 'set-config-vars' || !input.set) return input;
  let sealer: Sealer;
  try {
    sealer = Sealer.fromEnv(env);
  } catch (err) {
    if (err instanceof SealingError)
      throw new InputPreparationError(`--set needs the worker's public key: ${err.message}`);
    throw err;
  }
  const { environment, app } = input as { environment?: string; app?: string };
  const sealed = Object.fromEntries(
    Object.entries(input.set as Record<string, string>).map(([key, value]) => [
      key,
      sealer.seal(value, { purpose: 'config-var', workflowId, environment, app, name: key }),
    ]),
  );
  return { ...input, set: sealed };
}
