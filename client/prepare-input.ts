import { SecretBox, SecretsKeyError } from '../lib/secret-box';
import type { RunbookId } from '../common/runbooks';

export class InputPreparationError extends Error {}

/**
 * Client-side steps between the flags and the run: config-var values are sealed here, with RUNBOOK_SECRETS_KEY,
 * so that what Temporal stores (history, UI, results) never holds them in the clear.
 */
export function prepareInput(
  name: RunbookId,
  input: Record<string, unknown>,
  env: NodeJS.ProcessEnv = process.env,
): Record<string, unknown> {
  if (name !== 'set-config-vars' || !input.set) return input;
  let box: SecretBox;
  try {
    box = SecretBox.fromEnv(env);
  } catch (err) {
    if (err instanceof SecretsKeyError)
      throw new InputPreparationError(`--set needs RUNBOOK_SECRETS_KEY: ${err.message}`);
    throw err;
  }
  const sealed = Object.fromEntries(
    Object.entries(input.set as Record<string, string>).map(([key, value]) => [key, box.seal(value)]),
  );
  return { ...input, set: sealed };
}
