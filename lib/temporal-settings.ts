import { DEFAULT_TASK_QUEUE } from '../common/task-queue';
import { temporalConnectionFromEnv, type TemporalConnectionSettings } from './temporal-connection';

/**
 * Where Temporal is, from the environment: the same variables for the CLI, the worker and the demo. How to connect
 * (address, namespace, TLS, API key, a profile) is lib/temporal-connection.ts; the task queue and the UI are ours.
 */
export interface TemporalSettings extends TemporalConnectionSettings {
  taskQueue: string;
  /** The Web UI, for links printed next to results. */
  uiUrl: string;
}

/** Throws TemporalConnectionConfigError for connection settings that cannot work (see temporalConnectionFromEnv). */
export function temporalSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): TemporalSettings {
  return {
    ...temporalConnectionFromEnv(env),
    taskQueue: env.RUNBOOK_TASK_QUEUE || DEFAULT_TASK_QUEUE,
    uiUrl: (env.TEMPORAL_UI_URL || 'http://127.0.0.1:8233').replace(/\/$/, ''),
  };
}

/** A run's page in the Temporal UI. */
export function workflowUrl(settings: TemporalSettings, workflowId: string, runId?: string): string {
  const base = `${settings.uiUrl}/namespaces/${encodeURIComponent(settings.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${base}/${runId}/history` : base;
}
