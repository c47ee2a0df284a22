import { z } from 'zod';

// Runbook inputs: one object per runbook, because the Temporal UI starts a workflow with exactly one JSON payload.
// The same schemas check CLI flags before anything starts and the workflow's input before any Heroku call.

/** Heroku's own rule for app names (Platform API schema, app/definitions/name). */
export const HerokuAppName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{1,28}[a-z0-9]$/, {
    message: 'must be a Heroku app name: 3 to 30 lowercase letters, digits and dashes, starting with a letter',
  });

export const EnvironmentName = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,62}$/, { message: 'must be an environment name such as "staging" or "production"' });

export const OperatorName = z.string().trim().min(1, { message: 'must not be empty' }).max(200);

/** Where a runbook acts: a configured environment, or an app by name (or both, if they agree). */
const target = {
  environment: EnvironmentName.optional().describe('environment from the runbook config, e.g. staging'),
  app: HerokuAppName.optional().describe('Heroku app name, e.g. csis-reconasia-bravo'),
};

/** Who launched the run and why: recorded with every run (search attribute, result). */
const provenance = {
  operator: OperatorName.optional().describe('who runs this runbook (default: RUNBOOK_OPERATOR, else the OS user)'),
  reason: z.string().max(500).optional().describe('why, in a sentence: kept with the run'),
};

/** `"2"` or `"2:Standard-2X"` (as `heroku ps:scale web=2:Standard-2X`), or a number: an absolute quantity. */
export const ProcessScale = z.union([
  z.int().nonnegative().max(100),
  z.string().regex(/^\d{1,3}(:[A-Za-z0-9-]+)?$/, { message: 'must be a quantity, optionally with a size: "2" or "2:Standard-2X"' }),
]);

function requireTarget(input: { environment?: string; app?: string }, ctx: z.RefinementCtx): void {
  if (input.environment === undefined && input.app === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['environment'],
      message: 'give an environment (e.g. "staging") or an app (e.g. "csis-reconasia-bravo")',
    });
  }
}

export const MaintenanceInput = z
  .strictObject({ ...target, ...provenance })
  .superRefine(requireTarget);
export type MaintenanceInput = z.input<typeof MaintenanceInput>;

export const ScaleDynosInput = z
  .strictObject({
    ...target,
    processes: z
      .record(z.string().regex(/^[a-z][a-z0-9_-]*$/, { message: 'must be a process type such as web or worker' }), ProcessScale)
      .refine((processes) => Object.keys(processes).length > 0, { message: 'name at least one process type, e.g. worker=0' })
      .describe('process type=quantity[:size], e.g. worker=0 or web=2:Standard-2X (repeatable)'),
    ...provenance,
  })
  .superRefine(requireTarget);
export type ScaleDynosInput = z.input<typeof ScaleDynosInput>;
