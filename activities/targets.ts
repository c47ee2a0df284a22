import { ApplicationFailure } from '@temporalio/common';
import type { ResolvedTarget, RunbookConfig } from '../common/environments';
import { resolveTarget, TargetError, type TargetRequest } from '../common/targets';

/** Resolves a runbook's `environment` / `app` against the runbook config loaded by the worker. */
export function targetActivities(config: RunbookConfig, configSource: string) {
  return {
    async resolveTarget(request: TargetRequest): Promise<ResolvedTarget> {
      try {
        return resolveTarget(config, configSource, request);
      } catch (err) {
        if (err instanceof TargetError)
          throw ApplicationFailure.create({ type: err.type, nonRetryable: true, message: err.message });
        throw err;
      }
    },
  };
}
