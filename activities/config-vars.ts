import { ApplicationFailure } from '@temporalio/common';
import type { ConfigVarChange } from '../common/config-vars';
import { FailureTypes } from '../common/errors';
import type { PlatformApi } from './heroku/platform-api';
import { GENERATORS, SecretsKeyError, type SecretBox } from './secrets/secret-box';

export interface ApplyConfigVarsRequest {
  app: string;
  /** Sealed values, by key. */
  set: Record<string, string>;
  /** Generated values, by key: the kind of value to make. */
  generate: Record<string, keyof typeof GENERATORS>;
  /** Identifies the run: generated values are derived from it, so a retry makes the same ones. */
  runKey: string;
}

function secretsFailure(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: FailureTypes.RunbookConfigError, nonRetryable: true, message });
}

/**
 * Config vars, keys in and keys out: values are opened (or generated) here, compared with Heroku's, and sent only
 * when they differ — so a retry after a crash finds them set and makes no second release.
 */
export function configVarActivities(heroku: PlatformApi, secrets: SecretBox | undefined) {
  function wantedValues({ set, generate, runKey }: ApplyConfigVarsRequest): Record<string, string> {
    if (!secrets) {
      throw secretsFailure('The worker has no RUNBOOK_SECRETS_KEY, so it cannot open sealed values or generate new ones. Start it with the same key the CLI uses.');
    }
    const wanted: Record<string, string> = {};
    try {
      for (const [key, sealed] of Object.entries(set)) wanted[key] = secrets.open(sealed);
    } catch (err) {
      if (err instanceof SecretsKeyError) throw secretsFailure(`Cannot open the value for a config var: ${err.message}. Nothing was changed.`);
      throw err;
    }
    for (const [key, kind] of Object.entries(generate)) {
      const { length, alphabet } = GENERATORS[kind];
      wanted[key] = secrets.derive(`config-var/${runKey}/${key}`, length, alphabet);
    }
    return wanted;
  }

  return {
    async applyConfigVars(request: ApplyConfigVarsRequest): Promise<ConfigVarChange> {
      const wanted = wantedValues(request);
      const current = await heroku.getConfigVars(request.app);
      const keys = Object.keys(wanted);
      const set = keys.filter((key) => current[key] !== wanted[key]);
      const unchanged = keys.filter((key) => !set.includes(key));
      if (set.length > 0) await heroku.patchConfigVars(request.app, Object.fromEntries(set.map((key) => [key, wanted[key]])));
      return { set, unchanged, removed: [], absent: [], release: set.length > 0 ? await heroku.latestRelease(request.app) : null };
    },

    async removeConfigVars({ app, keys }: { app: string; keys: string[] }): Promise<ConfigVarChange> {
      const current = await heroku.getConfigVars(app);
      const removed = keys.filter((key) => key in current);
      const absent = keys.filter((key) => !removed.includes(key));
      if (removed.length > 0) await heroku.patchConfigVars(app, Object.fromEntries(removed.map((key) => [key, null])));
      return { set: [], unchanged: [], removed, absent, release: removed.length > 0 ? await heroku.latestRelease(app) : null };
    },
  };
}
