import { ApplicationFailure } from '@temporalio/common';
import type { ConfigVarChange } from '../common/config-vars';
import { FailureTypes } from '../common/errors';
import type { PlatformApi } from './heroku/platform-api';
import { GENERATORS, SealingError, type SealingKeys } from '../lib/sealing';

export interface ApplyConfigVarsRequest {
  app: string;
  /** Sealed values, by key. */
  set: Record<string, string>;
  /**
   * What the values were sealed for: the run's workflow ID and its input's environment and app, as given (the CLI
   * binds each value to these and to its key). A value sealed for anything else does not open.
   */
  sealedFor: { workflowId: string; environment?: string; app?: string };
  /** Generated values, by key: the kind of value to make. */
  generate: Record<string, keyof typeof GENERATORS>;
  /** Identifies the run: generated values are derived from it, so a retry makes the same ones. */
  runKey: string;
}

function sealingFailure(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: FailureTypes.RunbookConfigError, nonRetryable: true, message });
}

/**
 * Config vars, keys in and keys out: values are opened (or generated) here, compared with Heroku's, and sent only
 * when they differ — so a retry after a crash finds them set and makes no second release.
 */
export function configVarActivities(heroku: PlatformApi, sealing: SealingKeys | undefined) {
  function wantedValues({ set, generate, sealedFor, runKey }: ApplyConfigVarsRequest): Record<string, string> {
    if (!sealing) {
      throw sealingFailure(
        'The worker has no RUNBOOK_SEAL_KEYS, so it cannot open sealed values or generate new ones. Nothing was changed. Start it with its private sealing key in RUNBOOK_SEAL_KEYS (a new pair: `runbook keys generate`; CLI users then seal with the public key, RUNBOOK_SEAL_PUBLIC_KEY).',
      );
    }
    const wanted: Record<string, string> = {};
    for (const [key, sealed] of Object.entries(set)) {
      try {
        const { workflowId, environment, app } = sealedFor;
        wanted[key] = sealing.open(sealed, { purpose: 'config-var', workflowId, environment, app, name: key });
      } catch (err) {
        if (err instanceof SealingError)
          throw sealingFailure(`Cannot open the value for ${key}: ${err.message}. Nothing was changed.`);
        throw err;
      }
    }
    for (const [key, kind] of Object.entries(generate)) {
      const { length, alphabet } = GENERATORS[kind];
      wanted[key] = sealing.derive(`config-var/${runKey}/${key}`, length, alphabet);
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
