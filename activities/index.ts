import type { RunbookConfig } from '../common/environments';
import { attachRequestIds, type HerokuRequestIds } from '../common/heroku-request-ids';
import { appOverviewActivities } from './app-overview';
import { auditActivities } from './audit';
import type { AuditLog } from '../lib/audit/audit-log';
import type { AuditLogCopy } from '../lib/audit/log-copy';
import type { HerokuConnection } from './heroku/connection';
import { DataApi } from './heroku/data-api';
import { collectRequestIds } from './heroku/request';
import { rememberingHeartbeats } from './heroku/waiting';
import type { ApiBudget } from '../lib/api-budget/api-budget';
import { PlatformApi } from './heroku/platform-api';
import { appLockActivities } from './app-lock';
import { backupActivities, type PollingSettings } from './backups';
import { disasterRecoveryActivities } from './disaster-recovery';
import { configVarActivities } from './config-vars';
import { databaseActivities } from './databases';
import { formationActivities } from './formation';
import { maintenanceActivities } from './maintenance';
import { oneOffDynoActivities } from './one-off-dynos';
import type { SealingKeys } from '../lib/sealing';
import { targetActivities } from './targets';
import { identityActivities } from './identity';
import { outsideChangeActivities, type OutsideChangeSettings } from './outside-changes';
import { notificationActivities, type NotificationDependencies } from './notifications';

export interface ActivityDependencies {
  heroku: HerokuConnection;
  config: RunbookConfig;
  /** Where the config came from, for messages ("Environments in config/environments.json: …"). */
  configSource: string;
  /** Where every run's audit trail goes (outlives Temporal's retention). */
  audit: AuditLog;
  /**
   * The worker's private sealing keys (RUNBOOK_SEAL_KEYS): open the config-var values the CLI sealed to their public
   * key, and make generated ones. Without them, config changes fail clearly.
   */
  sealing?: SealingKeys;
  /**
   * The Heroku API budget every worker on this token shares (lib/api-budget: the worker keeps it in the audit
   * database). Without one, requests go as fast as they come (tests).
   */
  apiBudget?: ApiBudget;
  /** Pause before sending again after a 429 that does not say what is left; default 10 s. */
  rateLimitPauseMs?: number;
  /** How long an audit write keeps trying before the run is told the trail is unavailable; default 20 s. */
  auditWriteTimeoutMs?: number;
  /** Where each audit record is copied as a JSON line (the worker's pino logger, kept by the log drain). */
  auditLogCopy?: AuditLogCopy;
  /** How waits for backups, restores and dynos poll (tests make them short). */
  polling?: PollingSettings;
  /** How the outside-change reconciler looks at Heroku (RUNBOOK_OUTSIDE_CHANGES_LOOKBACK). */
  outsideChanges?: OutsideChangeSettings;
  /** Where notifications read the secrets the config names (default: process.env), and their timeout. */
  notifications?: NotificationDependencies;
}

/** Every activity the runbooks use, bound to one Heroku connection and one runbook config. */
export function createActivities(deps: ActivityDependencies) {
  const clientOptions = { budget: deps.apiBudget, rateLimitPauseMs: deps.rateLimitPauseMs };
  const platform = new PlatformApi(deps.heroku, clientOptions);
  const data = new DataApi(deps.heroku, clientOptions);
  const maintenance = maintenanceActivities(platform);
  const formation = formationActivities(platform);
  const databases = databaseActivities(platform);
  const backups = backupActivities(data, deps.polling);
  const activities = withRequestIds({
    ...targetActivities(deps.config, deps.configSource),
    ...maintenance,
    ...formation,
    ...configVarActivities(platform, deps.sealing),
    ...databases,
    ...backups,
    ...disasterRecoveryActivities({ ...maintenance, ...formation, ...databases, ...backups }),
    ...appLockActivities(),
    ...oneOffDynoActivities(platform, deps.polling),
    ...appOverviewActivities(platform),
    ...identityActivities(deps.heroku, platform, deps.sealing),
    ...auditActivities(deps.audit, deps.auditWriteTimeoutMs, deps.auditLogCopy),
    // Sends to the team's webhooks and mail server; changes nothing on Heroku.
    ...notificationActivities(deps.notifications),
    // Reads Heroku and the trail, writes the trail: changes nothing on Heroku (so not a ChangeActivityName).
    ...outsideChangeActivities({
      platform,
      data,
      audit: deps.audit,
      config: deps.config,
      configSource: deps.configSource,
      settings: deps.outsideChanges,
      logCopy: deps.auditLogCopy,
    }),
  });
  // A request waiting for the API budget heartbeats for its activity: it must send what the activity last sent.
  return rememberingHeartbeats(activities);
}

export type RunbookActivities = ReturnType<typeof createActivities>;

/**
 * The activities that change an app on Heroku. Workflows reach them only through `RunbookRun.change`, which records
 * the intent before and the outcome after each one (workflows/runbook.ts): no change goes unrecorded.
 */
const CHANGE_ACTIVITY_NAMES = [
  'setPlatformMaintenance',
  'setMaintenanceConfigVar',
  'scaleFormation',
  'applyConfigVars',
  'removeConfigVars',
  'startBackupCapture',
  'startRestore',
  'cancelTransfer',
  'setBackupSchedule',
  'startOneOffDyno',
  'stopOneOffDyno',
] as const;

export type ChangeActivityName = (typeof CHANGE_ACTIVITY_NAMES)[number];

/** An object result gains `herokuRequestIds` (a list is wrapped, and unwrapped by RunbookRun.change). */
type WithRequestIds<R> = R extends readonly unknown[] ? R : R extends object ? R & HerokuRequestIds : R;

type Recording<F> = F extends (...args: infer A) => Promise<infer R> ? (...args: A) => Promise<WithRequestIds<R>> : F;

/** The change activities, each collecting the Request-Ids of the changes it made into its result. */
function withRequestIds<T extends Record<ChangeActivityName, (...args: never[]) => Promise<unknown>>>(
  activities: T,
): Omit<T, ChangeActivityName> & { [K in ChangeActivityName]: Recording<T[K]> } {
  const wrapped: Record<string, unknown> = { ...activities };
  for (const name of CHANGE_ACTIVITY_NAMES) {
    const activity = activities[name] as (...args: unknown[]) => Promise<unknown>;
    wrapped[name] = async (...args: unknown[]) => {
      const { value, requestIds } = await collectRequestIds(() => activity(...args));
      return attachRequestIds(value, requestIds, args[0]);
    };
  }
  return wrapped as Omit<T, ChangeActivityName> & { [K in ChangeActivityName]: Recording<T[K]> };
}

export type ChangeActivities = Pick<RunbookActivities, ChangeActivityName>;

/** The outside-change reconciler's: they write the trail, so they are not reads for any workflow to call. */
export type OutsideChangeActivityName = 'outsideChangeApps' | 'reconcileOutsideChanges';

export type OutsideChangeActivities = Pick<RunbookActivities, OutsideChangeActivityName>;

/** Notifications to the team (webhooks, e-mail): sent from workflows/notify.ts only. */
export type NotificationActivityName = 'deliverWebhook' | 'deliverEmail';

export type NotificationActivities = Pick<RunbookActivities, NotificationActivityName>;

/** Everything else: reads (of Heroku, the config, Temporal), which any workflow code may call. */
export type ReadActivities = Omit<
  RunbookActivities,
  ChangeActivityName | 'recordAudit' | OutsideChangeActivityName | NotificationActivityName
>;
