/**
 * A positive number of milliseconds from the environment, or undefined when unset; anything else is refused, naming
 * the variable. `whole`: only whole numbers.
 */
export function millisecondsFromEnv(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
  { whole = false }: { whole?: boolean } = {},
): number | undefined {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0 || (whole && !Number.isInteger(number))) {
    throw new Error(`${name} must be a ${whole ? 'whole' : 'positive'} number of milliseconds, got "${value}"`);
  }
  return number;
}
