import os from 'node:os';

/** Who is running this: --operator, else RUNBOOK_OPERATOR, else the OS user. Travels with every run. */
export function resolveOperator(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = flag?.trim() || env.RUNBOOK_OPERATOR?.trim();
  if (chosen) return chosen;
  try {
    return os.userInfo().username;
  } catch {
    return env.USER || env.LOGNAME || 'unknown';
  }
}
