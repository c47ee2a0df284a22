import { DEFAULT_TASK_QUEUE } from '../common/task-queue';

/** Where Temporal is, from the environment: the same variables for the CLI, the worker and the demo. */
export interface TemporalSettings {
  address: string;
  namespace: string;
  taskQueue: string;
  /** The Web UI, for links printed next to results. */
  uiUrl: string;
}

export function temporalSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): TemporalSettings {
  return {
    address: env.TEMPORAL_ADDRESS || '127.0.0.1:7233',
    namespace: env.TEMPORAL_NAMESPACE || 'default',
    taskQueue: env.RUNBOOK_TASK_QUEUE || DEFAULT_TASK_QUEUE,
    uiUrl: (env.TEMPORAL_UI_URL || 'http://127.0.0.1:8233').replace(/\/$/, ''),
  };
}

/** A run's page in the Temporal UI. */
export function workflowUrl(settings: TemporalSettings, workflowId: string, runId?: string): string {
  const base = `${settings.uiUrl}/namespaces/${encodeURIComponent(settings.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${base}/${runId}/history` : base;
}
