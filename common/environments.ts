import { z } from 'zod';
import { EnvironmentName, HerokuAppName, ScheduleTime } from './inputs';

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

export const BackupSettings = z.strictObject({
  /** The daily schedule this environment should have ("02:00 America/New_York"), or null for none. */
  schedule: ScheduleTime.nullable().default(null),
  /** The database it applies to, by config var. */
  database: z.string().regex(/^[A-Z][A-Z0-9_]*$/).default('DATABASE_URL'),
});
export type BackupSettings = z.infer<typeof BackupSettings>;

export const EnvironmentSettings = z.strictObject({
  app: HerokuAppName,
  description: z.string().optional(),
  maintenance: MaintenanceSettings.prefault({}),
  backups: BackupSettings.prefault({}),
});
export type EnvironmentSettings = z.infer<typeof EnvironmentSettings>;

export const RunbookConfig = z.strictObject({
  environments: z.record(EnvironmentName, EnvironmentSettings),
  /** Settings for an app named directly (--app) that no environment lists. */
  defaults: z.strictObject({ maintenance: MaintenanceSettings.prefault({}), backups: BackupSettings.prefault({}) }).prefault({}),
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
}
