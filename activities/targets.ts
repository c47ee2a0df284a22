import { ApplicationFailure } from '@temporalio/common';
import type { ResolvedTarget, RunbookConfig } from '../common/environments';
import { FailureTypes } from '../common/errors';

export interface TargetRequest {
  environment?: string;
  app?: string;
}

/** Resolves a runbook's `environment` / `app` against the runbook config loaded by the worker. */
export function targetActivities(config: RunbookConfig, configSource: string) {
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
        return { app: settings.app, environment, maintenance: settings.maintenance, backups: settings.backups };
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
      if (listed) return { app, environment: listed[0], maintenance: listed[1].maintenance, backups: listed[1].backups };
      return { app, environment: null, maintenance: config.defaults.maintenance, backups: config.defaults.backups };
    },
  };
}
