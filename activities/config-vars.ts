import { ApplicationFailure } from '@temporalio/common';
import type { ConfigVarChange } from '../common/config-vars';
import { FailureTypes } from '../common/errors';
import type { PlatformApi } from './heroku/platform-api';
import { GENERATORS, SecretsKeyError, type SecretBox } from '../lib/secret-box';

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
      throw secretsFailure(
        'The worker has no RUNBOOK_SECRETS_KEY, so it cannot open sealed values or generate new ones. Start it with the same key the CLI uses.',
      );
    }
    const wanted: Record<string, string> = {};
    try {
      for (const [key, sealed] of Object.entries(set)) wanted[key] = secrets.open(sealed);
    } catch (err) {
      if (err instanceof SecretsKeyError)
        throw secretsFailure(`Cannot open the value for a config var: ${err.message}. Nothing was changed.`);
      throw err;
    }
    for (const [key, kind] of Object.entries(generate)) {
      const { length, alphabet } = GENERATORS[kind];
      wanted[key] = secrets.derive(`config-var/${runKey}/${key}`, length, alphabet);
    }
    return wanted;
  }

  async function differing(
    request: ApplyConfigVarsRequest,
  ): Promise<{ wanted: Record<string, string>; differs: string[]; present: string[] }> {
    const wanted = wantedValues(request);
    const current = await heroku.getConfigVars(request.app);
    const differs = Object.keys(wanted).filter((key) => current[key] !== wanted[key]);
    return { wanted, differs, present: differs.filter((key) => key in current) };
  }

  return {
    /**
     * Which keys need setting (their value differs from Heroku's), which of those replace a value the app has, and
     * which already are as asked: keys only.
     */
    async planConfigVars(
      request: ApplyConfigVarsRequest,
    ): Promise<{ toSet: string[]; unchanged: string[]; replacing: string[] }> {
      const { wanted, differs, present } = await differing(request);
      return {
        toSet: differs,
        unchanged: Object.keys(wanted).filter((key) => !differs.includes(key)),
        replacing: present,
      };
    },

    /** Sets what still differs; a retry after the change went through finds nothing left to send. */
    async applyConfigVars(request: ApplyConfigVarsRequest): Promise<{ release: ConfigVarChange['release'] }> {
      const { wanted, differs } = await differing(request);
      if (differs.length > 0)
        await heroku.patchConfigVars(request.app, Object.fromEntries(differs.map((key) => [key, wanted[key]])));
      return { release: await heroku.latestRelease(request.app) };
    },

    /** Which of the keys the app has. */
    async findConfigVars({
      app,
      keys,
    }: {
      app: string;
      keys: string[];
    }): Promise<{ present: string[]; absent: string[] }> {
      const current = await heroku.getConfigVars(app);
      return { present: keys.filter((key) => key in current), absent: keys.filter((key) => !(key in current)) };
    },

    /** Removes those of the keys still there; a retry after the change went through finds nothing left to remove. */
    async removeConfigVars({
      app,
      keys,
    }: {
      app: string;
      keys: string[];
    }): Promise<{ release: ConfigVarChange['release'] }> {
      const current = await heroku.getConfigVars(app);
      const present = keys.filter((key) => key in current);
      if (present.length > 0) await heroku.patchConfigVars(app, Object.fromEntries(present.map((key) => [key, null])));
      return { release: await heroku.latestRelease(app) };
    },
  };
}
