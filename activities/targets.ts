import { ApplicationFailure } from '@temporalio/common';
import { resolveDisasterRecoverySettings, type ResolvedTarget, type RunbookConfig } from '../common/environments';
import { FailureTypes } from '../common/errors';

export interface TargetRequest {
  environment?: string;
  app?: string;
}

/** Resolves a runbook's `environment` / `app` against the runbook config loaded by the worker. */
export function targetActivities(config: RunbookConfig, configSource: string) {
  function resolved(app: string, environment: string | null, settings: RunbookConfig['defaults']): ResolvedTarget {
    return {
      app,
      environment,
      maintenance: settings.maintenance,
      backups: settings.backups,
      disasterRecovery: resolveDisasterRecoverySettings(settings.disasterRecovery, environment),
      lockId: `${config.lockPrefix}.${app}`,
    };
  }

  return {
    async resolveTarget({ environment, app }: TargetRequest): Promise<ResolvedTarget> {
      if (environment !== undefined) {
        const settings = config.environments[environment];
        if (!settings) {
          const known = Object.keys(config.environments).join(', ') || '(none)';
          throw ApplicationFailure.create({
            type: FailureTypes.RunbookConfigError,
            nonRetryable: true,
            message: `Unknown environment "${environment}". Environments in ${configSource}: ${known}.`,
          });
        }
        if (app !== undefined && app !== settings.app) {
          throw ApplicationFailure.create({
            type: FailureTypes.RunbookConfigError,
            nonRetryable: true,
            message: `Environment "${environment}" is app ${settings.app}, not ${app} (${configSource}). Give one of the two, or the pair that matches.`,
          });
        }
        return resolved(settings.app, environment, settings);
      }
      if (app === undefined) {
        throw ApplicationFailure.create({
          type: FailureTypes.InvalidRunbookInput,
          nonRetryable: true,
          message: 'No target: give an environment or an app.',
        });
      }
      // An app named directly still gets its environment's settings when one lists it.
      const listed = Object.entries(config.environments).find(([, settings]) => settings.app === app);
      if (listed) return resolved(app, listed[0], listed[1]);
      return resolved(app, null, config.defaults);
    },
  };
}
