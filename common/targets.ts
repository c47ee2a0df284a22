import { resolveAccess } from './access';
import { resolveDisasterRecoverySettings, type ResolvedTarget, type RunbookConfig } from './environments';
import { FailureTypes } from './errors';

export interface TargetRequest {
  environment?: string;
  app?: string;
}

/** A target that the environments file does not describe; `type` is the failure type a run reports. */
export class TargetError extends Error {
  constructor(
    readonly type: typeof FailureTypes.RunbookConfigError | typeof FailureTypes.InvalidRunbookInput,
    message: string,
  ) {
    super(message);
  }
}

function resolved(
  config: RunbookConfig,
  app: string,
  environment: string | null,
  settings: RunbookConfig['defaults'],
): ResolvedTarget {
  const access = resolveAccess(settings.access, environment);
  return {
    app,
    environment,
    maintenance: settings.maintenance,
    backups: settings.backups,
    disasterRecovery: resolveDisasterRecoverySettings(
      settings.disasterRecovery,
      environment,
      access.approval.runbooks.includes('disaster-recovery'),
    ),
    access,
    lockId: `${config.lockPrefix}.${app}`,
    lockPrefix: config.lockPrefix,
    lockWaitMinutes: config.lockWaitMinutes,
    notify: settings.notify ?? null,
  };
}

/**
 * A runbook's `environment` / `app` resolved against the environments file, the same way for the worker (which acts
 * on it) and the CLI (`runbook manual` prints commands for it). Throws TargetError naming what is wrong.
 */
export function resolveTarget(
  config: RunbookConfig,
  configSource: string,
  { environment, app }: TargetRequest,
): ResolvedTarget {
  if (environment !== undefined) {
    // Own keys only: "constructor" is a well-formed environment name, and every object inherits one.
    const settings = Object.prototype.hasOwnProperty.call(config.environments, environment)
      ? config.environments[environment]
      : undefined;
    if (!settings) {
      const known = Object.keys(config.environments).join(', ') || '(none)';
      throw new TargetError(
        FailureTypes.RunbookConfigError,
        `Unknown environment "${environment}". Environments in ${configSource}: ${known}.`,
      );
    }
    if (app !== undefined && app !== settings.app) {
      throw new TargetError(
        FailureTypes.RunbookConfigError,
        `Environment "${environment}" is app ${settings.app}, not ${app} (${configSource}). Give one of the two, or the pair that matches.`,
      );
    }
    return resolved(config, settings.app, environment, settings);
  }
  if (app === undefined)
    throw new TargetError(FailureTypes.InvalidRunbookInput, 'No target: give an environment or an app.');
  // An app named directly still gets its environment's settings when one lists it.
  const listed = Object.entries(config.environments).find(([, settings]) => settings.app === app);
  if (listed) return resolved(config, app, listed[0], listed[1]);
  return resolved(config, app, null, config.defaults);
}
