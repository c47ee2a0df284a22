import { z } from 'zod';
import { MAX_PROOF_LENGTH } from './identity';

// Runbook inputs: one object per runbook, because the Temporal UI starts a workflow with exactly one JSON payload.
// The same schemas check CLI flags before anything starts and the workflow's input before any Heroku call.
// Every string has a bound: what a run takes is recorded in the trail and copied into its activities' inputs, so
// a megabyte typed into `confirm` or `backup` is refused naming the field, not kept in the history three times.

/** Heroku's own rule for app names (Platform API schema, app/definitions/name). */
export const HerokuAppName = z.string().regex(/^[a-z][a-z0-9-]{1,28}[a-z0-9]$/, {
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
  operator: OperatorName.optional().describe(
    'who you say you are, where no proof is sent (the Temporal UI): recorded as "unverified (claims: …)"',
  ),
  reason: z.string().max(500).optional().describe('why, in a sentence: kept with the run'),
  proof: z
    .string()
    .max(MAX_PROOF_LENGTH)
    .optional()
    .describe('advanced: who starts the run, proven (the CLI makes it from your Heroku login); never typed'),
};

/**
 * Runbooks that change an app take its lock: one at a time per app. A second launch is refused, naming the run
 * that holds it, unless it asks to queue.
 */
const locking = {
  waitForLock: z
    .boolean()
    .optional()
    .describe('if another runbook is changing the app, wait for it to finish instead of refusing to start'),
  lockWaitMinutes: z
    .number()
    .positive()
    .max(7 * 24 * 60)
    .optional()
    .describe("with --wait-for-lock: give up after this many minutes (default: the config's lockWaitMinutes, 60)"),
};

/** `"2"` or `"2:Standard-2X"` (as `heroku ps:scale web=2:Standard-2X`), or a number: an absolute quantity. */
export const ProcessScale = z.union([
  z.int().nonnegative().max(100),
  z.string().regex(/^\d{1,3}(:[A-Za-z0-9-]+)?$/, {
    message: 'must be a quantity, optionally with a size: "2" or "2:Standard-2X"',
  }),
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

export const MaintenanceInput = z.strictObject({ ...target, ...locking, ...provenance }).superRefine(requireTarget);
export type MaintenanceInput = z.input<typeof MaintenanceInput>;

export const ScaleDynosInput = z
  .strictObject({
    ...target,
    processes: z
      .record(
        z
          .string()
          .max(100)
          .regex(/^[a-z][a-z0-9_-]*$/, { message: 'must be a process type such as web or worker' }),
        ProcessScale,
      )
      .refine((processes) => Object.keys(processes).length > 0, {
        message: 'name at least one process type, e.g. worker=0',
      })
      .describe('process type=quantity[:size], e.g. worker=0 or web=2:Standard-2X (repeatable)'),
    ...locking,
    ...provenance,
  })
  .superRefine(requireTarget);
export type ScaleDynosInput = z.input<typeof ScaleDynosInput>;

/** Config var names as Heroku takes them; HEROKU_* belong to the platform. */
export const ConfigVarName = z
  .string()
  .max(200)
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'must be a config var name: letters, digits, underscores' })
  .refine((name) => !name.startsWith('HEROKU_'), { message: 'HEROKU_* config vars belong to the platform' });

/**
 * A value sealed by the CLI for the worker (lib/sealing.ts: `sealed:v2:<keyId>:<ephemeral key>:<iv>:<ciphertext>`,
 * bound to the run, its environment or app, and the var): plain values are refused so they never reach workflow
 * history.
 */
export const SealedValue = z
  .string()
  // Heroku keeps at most 32 KB of config vars per app; sealed, that is about 43 KB.
  .max(100_000)
  .regex(/^sealed:v2:[0-9a-f]{8}:[A-Za-z0-9_-]{43}:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]{22,}$/, {
    message:
      "must be sealed (the CLI seals --set values with the worker's public key, RUNBOOK_SEAL_PUBLIC_KEY); a plain value would be kept in workflow history",
  });

export const GeneratedValueKind = z.enum(['django-secret-key', 'hex-64']);

export const SetConfigVarsInput = z
  .strictObject({
    ...target,
    set: z
      .record(ConfigVarName, SealedValue)
      .optional()
      .describe('KEY=value to set (repeatable; the CLI seals the value)'),
    generate: z
      .record(ConfigVarName, GeneratedValueKind)
      .optional()
      .describe(
        'KEY=django-secret-key|hex-64: set KEY to a new random value made by the worker, e.g. SECRET_KEY rotation',
      ),
    ...locking,
    ...provenance,
  })
  .superRefine(requireTarget)
  .superRefine((input, ctx) => {
    const set = Object.keys(input.set ?? {});
    const generate = Object.keys(input.generate ?? {});
    if (set.length + generate.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['set'], message: 'give at least one var to set (or to generate)' });
    }
    for (const key of set.filter((k) => generate.includes(k))) {
      ctx.addIssue({ code: 'custom', path: ['generate', key], message: 'is also given a value to set; choose one' });
    }
  });
export type SetConfigVarsInput = z.input<typeof SetConfigVarsInput>;

export const UnsetConfigVarsInput = z
  .strictObject({
    ...target,
    keys: z
      .array(ConfigVarName)
      .min(1, { message: 'name at least one config var' })
      .describe('config var to remove (repeatable)'),
    ...locking,
    ...provenance,
  })
  .superRefine(requireTarget);
export type UnsetConfigVarsInput = z.input<typeof UnsetConfigVarsInput>;

/**
 * How long a worker may go silent in a long step before another takes over (heartbeat timeout). Not a CLI flag:
 * tests shorten it so a killed worker's step is picked up in seconds.
 */
const timing = {
  timing: z
    .strictObject({
      heartbeatTimeoutSeconds: z.int().min(1).max(600).optional(),
      /** A command's timeout to the second, over timeoutMinutes (tests use it). */
      commandTimeoutSeconds: z
        .int()
        .min(1)
        .max(24 * 3600)
        .optional(),
    })
    .optional()
    .describe('advanced: {"heartbeatTimeoutSeconds": 20, "commandTimeoutSeconds": 3600}'),
};

/** The database a backup runbook acts on: an attachment's config var (the CLI's default is DATABASE_URL). */
const database = {
  database: z
    .string()
    .max(100)
    .regex(/^[A-Z][A-Z0-9_]*$/, { message: 'must be an attachment config var such as DATABASE_URL' })
    .optional()
    .describe('the database, by its config var (default DATABASE_URL)'),
};

export const CaptureBackupInput = z
  .strictObject({ ...target, ...database, ...timing, ...locking, ...provenance })
  .superRefine(requireTarget);
export type CaptureBackupInput = z.input<typeof CaptureBackupInput>;

export const BackupName = z
  .string()
  .max(20)
  .regex(/^([ab]\d{3,}|latest)$/, { message: 'must be a backup name such as b016, or "latest"' });

export const ListBackupsInput = z.strictObject({ ...target, ...provenance }).superRefine(requireTarget);
export type ListBackupsInput = z.input<typeof ListBackupsInput>;

export const RestoreBackupInput = z
  .strictObject({
    ...target,
    ...database,
    backup: BackupName.describe('the backup to restore: b016, or latest (the newest that succeeded)'),
    confirm: z
      .string({ error: 'give the app name to confirm: restoring replaces its database' })
      .max(100)
      .describe('the app name again: restoring replaces its database (as heroku pg:backups:restore --confirm)'),
    ...timing,
    ...locking,
    ...provenance,
  })
  .superRefine(requireTarget);
export type RestoreBackupInput = z.input<typeof RestoreBackupInput>;

/** Zone abbreviations the Heroku CLI maps to IANA names for `--at` (reference §4.3). */
export const ZONE_ABBREVIATIONS: Record<string, string> = {
  PST: 'America/Los_Angeles',
  PDT: 'America/Los_Angeles',
  EST: 'America/New_York',
  EDT: 'America/New_York',
  CST: 'America/Chicago',
  CDT: 'America/Chicago',
  MST: 'America/Boise',
  MDT: 'America/Boise',
  GMT: 'Europe/London',
  BST: 'Europe/London',
  CET: 'Europe/Paris',
  CEST: 'Europe/Paris',
  Z: 'UTC',
  UTC: 'UTC',
};

/** `"02:00 America/New_York"` (or `"2:00 EST"`, `"02"`) → hour and IANA zone, as the CLI reads `--at`. */
export function parseScheduleTime(at: string): { hour: number; timezone: string } | null {
  // Trimmed first: with the outer spaces in the pattern, a digit, a megabyte of spaces and a stray character made
  // it backtrack for an hour (two adjacent \s* split the spaces every way), in the workflow and the CLI alike.
  const match = /^(\d{1,2})(?::00)?\s*([A-Za-z_]+(?:\/[A-Za-z_+-]+)*)?$/.exec(at.trim());
  if (!match || Number(match[1]) > 23) return null;
  const zone = match[2] ?? 'UTC';
  return { hour: Number(match[1]), timezone: ZONE_ABBREVIATIONS[zone.toUpperCase()] ?? zone };
}

export const ScheduleTime = z
  .string()
  .max(100)
  .refine((at) => parseScheduleTime(at) !== null, {
    message: 'must be an hour and a time zone, e.g. "02:00 America/New_York" or "2:00 EST"',
  });

export const ScheduleBackupsInput = z
  .strictObject({
    ...target,
    ...database,
    at: ScheduleTime.describe(
      'daily backup time, e.g. "02:00 America/New_York" (zone abbreviations as the CLI takes them)',
    ),
    ...locking,
    ...provenance,
  })
  .superRefine(requireTarget);
export type ScheduleBackupsInput = z.input<typeof ScheduleBackupsInput>;

const timeout = {
  timeoutMinutes: z
    .int()
    .min(1)
    .max(24 * 60)
    .optional()
    .describe('stop the dyno and fail if it runs longer than this (default 60)'),
};

export const RunCommandInput = z
  .strictObject({
    ...target,
    command: z
      .string()
      .trim()
      .min(1, { message: 'must not be empty' })
      .max(1000)
      .describe('the command, e.g. "python manage.py migrate --noinput"'),
    ...timeout,
    ...timing,
    ...locking,
    ...provenance,
  })
  .superRefine(requireTarget);
export type RunCommandInput = z.input<typeof RunCommandInput>;

export const RebuildSearchIndexInput = z
  .strictObject({ ...target, ...timeout, ...timing, ...locking, ...provenance })
  .superRefine(requireTarget);
export type RebuildSearchIndexInput = z.input<typeof RebuildSearchIndexInput>;

export const AppStatusInput = z.strictObject({ ...target, ...provenance }).superRefine(requireTarget);
export type AppStatusInput = z.input<typeof AppStatusInput>;

export const VerifyBackupScheduleInput = z.strictObject({ ...target, ...provenance }).superRefine(requireTarget);
export type VerifyBackupScheduleInput = z.input<typeof VerifyBackupScheduleInput>;

/** A run of the disaster-recovery runbook that failed or was cancelled, to continue from where it stopped. */
export const RunReference = z.strictObject({
  // As Temporal takes them: it refuses longer IDs and run IDs that are not UUIDs outright, an error the activity
  // reading the run would retry for minutes instead of saying which field is wrong.
  workflowId: z.string().min(1).max(1000),
  runId: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, {
    message: 'must be a run ID, e.g. 01a232e3-2913-733b-8e70-01a9cdd7a48d',
  }),
});
export type RunReference = z.infer<typeof RunReference>;

export const DisasterRecoveryInput = z
  .strictObject({
    ...target,
    ...database,
    backup: BackupName.describe('the backup to restore: b016, or latest (the newest that succeeded)'),
    dryRun: z.boolean().optional().describe('compute and show the plan from live reads; change nothing'),
    confirm: z
      .string()
      .max(100)
      .optional()
      .describe('the app name again, where no second person approves (staging): restoring replaces its database'),
    safetyBackup: z.boolean().optional().meta({
      description: 'capture a backup of the current database first (default: on for production)',
      negatable: true,
    }),
    migrate: z.boolean().optional().meta({
      description: "run the migrations command after the restore (default: the environment's setting)",
      negatable: true,
    }),
    approvalTimeoutMinutes: z
      .number()
      .positive()
      .max(7 * 24 * 60)
      .optional()
      .describe('how long to wait for approval (default 60)'),
    resumeFrom: RunReference.optional().describe(
      'advanced: continue a failed run ({"workflowId", "runId"}); `runbook retry` sets it',
    ),
    ...timing,
    ...locking,
    ...provenance,
  })
  .superRefine(requireTarget);
export type DisasterRecoveryInput = z.input<typeof DisasterRecoveryInput>;
