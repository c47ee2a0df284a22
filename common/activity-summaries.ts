// One line per activity call, shown as its summary in the Temporal UI's timeline ("restore b016 into DATABASE_URL",
// "watch rebuild_index in run.6555"): an operator reads what each call was for, not a wall of activity types.
// Changes carry their recorded intent instead (workflows/runbook.ts `change`).

/** The longest summary sent: the UI shows one line. */
export const SUMMARY_MAX = 200;

type Request = Record<string, unknown> | undefined;

/** The summary of one call of activity `name` with `request`: what it reads or does, and on which app. */
export function describeActivityCall(name: string, request: unknown): string {
  const r = (request && typeof request === 'object' ? request : {}) as Request & Record<string, unknown>;
  const text = (key: string): string | undefined => (typeof r[key] === 'string' ? (r[key] as string) : undefined);
  const app = text('app') ?? appOfDatabase(r.database) ?? targetApp(r.target);
  const on = app ? ` on ${app}` : '';
  switch (name) {
    case 'resolveTarget':
      return `resolve ${text('environment') ? `environment ${text('environment')}` : `app ${text('app') ?? '?'}`} in the environments file`;
    case 'readAppOverview':
      return `read the status of ${app ?? 'the app'}`;
    case 'readFormation':
      return `read the formation${on}`;
    case 'readMaintenanceState':
      return `read the maintenance state${on}`;
    case 'readBackupSchedules':
      return `read the backup schedules of ${databaseName(r.database) ?? 'the database'}`;
    case 'resolveDatabase':
      return `find the database ${text('attachment') ?? 'DATABASE'}_URL${on}`;
    case 'checkBackup':
      return `check backup ${text('backup') ?? '?'}${on}`;
    case 'listTransfers':
      return `list backups and restores${on}`;
    case 'watchTransfer':
      return `watch transfer ${shortId(text('uuid'))}${on}`;
    case 'watchOneOffDyno':
      return `watch ${shortCommand(text('command'))} in ${text('name') ?? 'a one-off dyno'}${on}`;
    case 'planConfigVars':
      return `plan config var changes${on}`;
    case 'findConfigVars':
      return `find which config vars exist${on}`;
    case 'hashPlanText':
      return 'hash the plan (sha256)';
    case 'planDisasterRecovery':
      return `plan the recovery of ${app ?? 'the app'} from ${text('backup') ?? 'a backup'} (live reads)`;
    case 'readRecoveryCheckpoint':
      return `read what run ${text('workflowId') ?? '?'} recorded`;
    case 'describeLockHolder':
      return `read who holds ${text('lockId') ?? 'the app lock'}`;
    case 'verifyProof':
      return `verify the identity proof (${text('action') ?? '?'}) with Heroku`;
    case 'readStanding':
      return `read ${text('email') ?? 'a person'}'s team role and permissions${on}`;
    case 'outsideChangeApps':
      return 'list the apps to look at for outside changes';
    case 'reconcileOutsideChanges':
      return `look for changes made outside the engine${on}`;
    case 'recordAudit':
      return clipSummary(`audit ${text('event') ?? 'record'}: ${text('summary') ?? ''}`);
    default:
      return clipSummary(`${name}${on}`);
  }
}

/** A summary within SUMMARY_MAX characters, on one line. */
export function clipSummary(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= SUMMARY_MAX ? line : `${line.slice(0, SUMMARY_MAX - 1)}…`;
}

/** `python manage.py rebuild_index` → `rebuild_index`; other commands as they are, clipped. */
function shortCommand(command: string | undefined): string {
  if (!command) return 'a command';
  const manage = /manage\.py\s+(\S+)/.exec(command);
  if (manage) return manage[1];
  return command.length <= 60 ? `\`${command}\`` : `\`${command.slice(0, 59)}…\``;
}

function shortId(uuid: string | undefined): string {
  return uuid ? uuid.slice(0, 8) : '?';
}

function appOfDatabase(database: unknown): string | undefined {
  const name = (database as { appName?: unknown } | undefined)?.appName;
  return typeof name === 'string' ? name : undefined;
}

function databaseName(database: unknown): string | undefined {
  const ref = database as { attachment?: unknown; addonName?: unknown } | undefined;
  if (typeof ref?.attachment !== 'string') return undefined;
  return `${ref.attachment}_URL${typeof ref.addonName === 'string' ? ` (${ref.addonName})` : ''}`;
}

function targetApp(target: unknown): string | undefined {
  const app = (target as { app?: unknown } | undefined)?.app;
  return typeof app === 'string' ? app : undefined;
}
