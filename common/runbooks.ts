import type { z } from 'zod';
import { MaintenanceInput, ScaleDynosInput } from './inputs';

export interface RunbookDefinition {
  /** The workflow function's name, as registered on the worker. */
  workflowType: string;
  /** One line for `runbook list` and the docs. */
  summary: string;
  input: z.ZodType;
  /** Changes the app (as opposed to only reading it). */
  mutating: boolean;
}

/** Every runbook, by its CLI name (kebab-case). The Temporal UI starts the same workflows by workflowType. */
export const RUNBOOKS = {
  'maintenance-on': {
    workflowType: 'maintenanceOn',
    summary: 'Put an app in maintenance mode (MAINTENANCE_MODE config var and/or Heroku maintenance flag)',
    input: MaintenanceInput,
    mutating: true,
  },
  'maintenance-off': {
    workflowType: 'maintenanceOff',
    summary: 'Take an app out of maintenance mode',
    input: MaintenanceInput,
    mutating: true,
  },
  'scale-dynos': {
    workflowType: 'scaleDynos',
    summary: 'Scale process types to absolute quantities and sizes (heroku ps:scale); returns the previous formation',
    input: ScaleDynosInput,
    mutating: true,
  },
} as const satisfies Record<string, RunbookDefinition>;

export type RunbookId = keyof typeof RUNBOOKS;

export function isRunbookId(name: string): name is RunbookId {
  return Object.prototype.hasOwnProperty.call(RUNBOOKS, name);
}
