import { herokuApiUrl } from '../../lib/heroku-api-url';

/** Where the Heroku APIs are and the token to use: from the worker's environment. */
export interface HerokuConnection {
  /** Platform API base URL (HEROKU_API_URL; the simulator's URL in tests and the demo). */
  apiUrl: string;
  /** Postgres data API base URL (HEROKU_DATA_API_URL). */
  dataApiUrl: string;
  /** HEROKU_API_KEY. Never logged, never put in a result or a failure. */
  apiKey: string;
}

export const DEFAULT_HEROKU_DATA_API_URL = 'https://api.data.heroku.com';

export class MissingApiKeyError extends Error {
  constructor() {
    super(
      'HEROKU_API_KEY is not set. The worker needs a Heroku API token: create one with ' +
        '`heroku authorizations:create --description heroku-runbooks` and start the worker with HEROKU_API_KEY set.',
    );
  }
}

export function herokuConnectionFromEnv(env: NodeJS.ProcessEnv = process.env): HerokuConnection {
  const apiKey = env.HEROKU_API_KEY?.trim();
  if (!apiKey) throw new MissingApiKeyError();
  return {
    apiUrl: herokuApiUrl(env),
    dataApiUrl: env.HEROKU_DATA_API_URL || DEFAULT_HEROKU_DATA_API_URL,
    apiKey,
  };
}
