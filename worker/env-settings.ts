/** A positive number of milliseconds from the environment, or undefined when unset; anything else is refused. */
export function millisecondsFromEnv(name: string, env: NodeJS.ProcessEnv = process.env): number | undefined {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) {
    throw new Error(`${name} must be a positive number of milliseconds, got "${value}"`);
  }
  return number;
}
