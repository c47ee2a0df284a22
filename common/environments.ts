import { z } from 'zod';
import { AccessSettings, type ResolvedAccess } from './access';
import { EnvironmentName, HerokuAppName, ScheduleTime } from './inputs';
import { NotifySettings } from './notifications';

// The environments file (RUNBOOK_CONFIG, default config/environments.json): which Heroku app each environment
// is, and how runbooks treat it. Validated when the worker starts, so a typo is reported before any run.

/**
 * How "maintenance mode" is switched for an app:
 * - config-var: the app's own MAINTENANCE_MODE config var (the seed runbook's way; a release and a restart);
 * - platform:   Heroku's router-level maintenance flag (no release; serves Heroku's 503 page);
 * - both:       the two together.
 */
export const MaintenanceStrategy = z.enum(['config-var', 'platform', 'both']);
export type MaintenanceStrategy = z.infer<typeof MaintenanceStrategy>;

export const MaintenanceSettings = z.strictObject({
  strategy: MaintenanceStrategy.default('config-var'),
  configVar: z
    .string()
    .regex(/^\w+$/, { message: 'must be a config var name (letters, digits, underscores)' })
    .default('MAINTENANCE_MODE'),
  /** The value the app reads as "on". The seed's Django settings test `os.getenv('MAINTENANCE_MODE') == 'True'`. */
  onValue: z.string().min(1).default('True'),
  /** The value for "off"; null removes the var, leaving the app's own default. */
  offValue: z.string().nullable().default(null),
});
export type MaintenanceSettings = z.infer<typeof MaintenanceSettings>;

/**
 * How long a backup or restore may take before the run gives up on it and cancels it on Heroku: the time its size
 * needs at `bytesPerSecond`, times `margin`, and never less than `minimumSeconds`. Heroku restored the seed's
 * 9.59 MB backup in 7 s (about 1.4 MB/s); the defaults assume 1 MiB/s and allow three times that, or 30 minutes.
 */
export const TransferDeadlineSettings = z.strictObject({
  minimumSeconds: z.int().min(1).default(1800),
  bytesPerSecond: z
    .int()
    .min(1)
    .default(1024 * 1024),
  margin: z.number().min(1).max(100).default(3),
});
export type TransferDeadlineSettings = z.infer<typeof TransferDeadlineSettings>;

export const BackupSettings = z.strictObject({
  /** The daily schedule this environment should have ("02:00 America/New_York"), or null for none. */
  schedule: ScheduleTime.nullable().default(null),
  /** The database it applies to, by config var. */
  database: z
    .string()
    .regex(/^[A-Z][A-Z0-9_]*$/)
    .default('DATABASE_URL'),
  transferDeadline: TransferDeadlineSettings.prefault({}),
});
export type BackupSettings = z.infer<typeof BackupSettings>;

const ProcessType = z.string().regex(/^[a-z][a-z0-9_-]*$/, { message: 'must be a process type such as worker' });

/**
 * How the disaster-recovery runbook treats an environment. `approval.required` and `safetyBackup` default to on
 * for an environment named "production" and off elsewhere (resolved with the target, see ResolvedTarget).
 */
export const DisasterRecoverySettings = z.strictObject({
  approval: z
    .strictObject({
      /** A second person must approve the plan (four-eyes). Default: as `access.approval.runbooks` says (production). */
      required: z.boolean().optional(),
      /** How long the plan waits for approval before the run ends "not approved". */
      timeoutMinutes: z
        .int()
        .min(1)
        .max(7 * 24 * 60)
        .default(60),
    })
    .prefault({}),
  /** Background process types scaled to 0 while the database is replaced, then back. */
  quietProcesses: z.array(ProcessType).default(['worker', 'scheduler']),
  /** Capture a backup of the current database before restoring over it. Default: production only. */
  safetyBackup: z.boolean().optional(),
  /** The migrations command, run after the restore when asked (`migrate: true`, or `runMigrations` here). */
  migrationCommand: z.string().min(1).default('python manage.py migrate --noinput'),
  runMigrations: z.boolean().default(false),
  /**
   * One-off commands that clear what was cached or queued from the old database (Memcached, RQ queues), run in
   * order after the restore so no stale pre-restore data is served or processed.
   */
  clearCommands: z.array(z.string().min(1)).default([]),
  /** Rebuilds the search index from the restored database. */
  indexCommand: z.string().min(1).default('python manage.py rebuild_index --noinput'),
  /** Each one-off command is stopped and fails the run after this long. */
  commandTimeoutMinutes: z
    .int()
    .min(1)
    .max(24 * 60)
    .default(60),
});
export type DisasterRecoverySettings = z.infer<typeof DisasterRecoverySettings>;

/** Disaster-recovery settings with the environment-dependent defaults decided. */
export interface ResolvedDisasterRecoverySettings extends Omit<DisasterRecoverySettings, 'approval' | 'safetyBackup'> {
  approval: { required: boolean; timeoutMinutes: number };
  safetyBackup: boolean;
}

/** `approvalByDefault`: whether the environment's access rules list disaster-recovery among the approved runbooks. */
export function resolveDisasterRecoverySettings(
  settings: DisasterRecoverySettings,
  environment: string | null,
  approvalByDefault: boolean,
): ResolvedDisasterRecoverySettings {
  const production = environment === 'production';
  return {
    ...settings,
    approval: {
      required: settings.approval.required ?? approvalByDefault,
      timeoutMinutes: settings.approval.timeoutMinutes,
    },
    safetyBackup: settings.safetyBackup ?? production,
  };
}

export const EnvironmentSettings = z.strictObject({
  app: HerokuAppName,
  description: z.string().optional(),
  maintenance: MaintenanceSettings.prefault({}),
  backups: BackupSettings.prefault({}),
  disasterRecovery: DisasterRecoverySettings.prefault({}),
  /** Who may run and approve runbooks here (see common/access.ts for the defaults). */
  access: AccessSettings.prefault({}),
  /** Who is told when a run here needs approval, succeeds or fails (see common/notifications.ts). Default: nobody. */
  notify: NotifySettings.optional(),
});
export type EnvironmentSettings = z.infer<typeof EnvironmentSettings>;

export const RunbookConfig = z.strictObject({
  environments: z.record(EnvironmentName, EnvironmentSettings),
  /** Settings for an app named directly (--app) that no environment lists. */
  defaults: z
    .strictObject({
      maintenance: MaintenanceSettings.prefault({}),
      backups: BackupSettings.prefault({}),
      disasterRecovery: DisasterRecoverySettings.prefault({}),
      access: AccessSettings.prefault({}),
      notify: NotifySettings.optional(),
    })
    .prefault({}),
  /**
   * The prefix of the app locks' workflow IDs (`app-lock.<app>`): one mutating runbook per app at a time. Workers
   * and tests that must not see each other's locks on one Temporal namespace use different prefixes.
   */
  lockPrefix: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/)
    .default('app-lock'),
  /** How long a runbook launched with --wait-for-lock waits for the app's lock before it gives up (minutes). */
  lockWaitMinutes: z
    .number()
    .positive()
    .max(7 * 24 * 60)
    .default(60),
});
export type RunbookConfig = z.infer<typeof RunbookConfig>;
export type RunbookConfigFile = z.input<typeof RunbookConfig>;

/** What a runbook acts on, once its environment or app is resolved against the config. */
export interface ResolvedTarget {
  app: string;
  /** The configured environment, or null for an app that no environment lists. */
  environment: string | null;
  maintenance: MaintenanceSettings;
  backups: BackupSettings;
  disasterRecovery: ResolvedDisasterRecoverySettings;
  /** Who may run and approve runbooks on this app. */
  access: ResolvedAccess;
  /** The workflow ID whose single running execution is the app's lock (see workflows/app-lock.ts). */
  lockId: string;
  /** The prefix of every app lock's workflow ID: no runbook run may have a workflow ID that starts with it. */
  lockPrefix: string;
  /** How long a launch that waits for the lock waits, at most (minutes). */
  lockWaitMinutes: number;
  /** Who is told of this run (absent in targets resolved before notifications existed, and where nobody is). */
  notify?: NotifySettings | null;
}
