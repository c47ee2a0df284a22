import type { MaintenanceStrategy } from './environments';

/** The maintenance config var as runbooks see it: never its raw value, which is the app's business. */
export type ConfigVarState = 'on' | 'off' | 'unset' | 'other';

export interface MaintenanceState {
  app: string;
  /** Heroku's platform maintenance flag. */
  platformFlag: boolean;
  /** The maintenance config var, when the strategy uses one. */
  configVar?: { key: string; state: ConfigVarState };
}

/** Whether the app shows its maintenance page: by Heroku's flag or by its config var, whichever it uses. */
export function isInMaintenance(state: MaintenanceState): boolean {
  return state.platformFlag || state.configVar?.state === 'on';
}

export type MaintenanceChange =
  | { what: 'platform-flag'; from: boolean; to: boolean }
  | { what: 'config-var'; key: string; from: ConfigVarState; to: ConfigVarState; release: ReleaseRef | null };

export interface ReleaseRef {
  version: number;
  id: string;
  description: string;
}

export interface MaintenanceResult {
  runbook: 'maintenance-on' | 'maintenance-off';
  app: string;
  environment: string | null;
  strategy: MaintenanceStrategy;
  /** Maintenance as the run left it. */
  maintenance: 'on' | 'off';
  /** False when the app was already as asked: nothing was called that changes it. */
  changed: boolean;
  changes: MaintenanceChange[];
  operator: string;
  reason: string | null;
  /** One line for people: what happened. */
  summary: string;
}
