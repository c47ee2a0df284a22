/** The Heroku Platform API the worker's activities and the CLI's identity proofs both talk to. */
export const DEFAULT_HEROKU_API_URL = 'https://api.heroku.com';

/** HEROKU_API_URL (the simulator's URL in tests and the demo), else Heroku's. */
export function herokuApiUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.HEROKU_API_URL || DEFAULT_HEROKU_API_URL;
}
