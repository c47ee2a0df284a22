import type { DrStepName } from './disaster-recovery';
import type { BackupSettings, MaintenanceSettings, ResolvedDisasterRecoverySettings } from './environments';
import { BackupName, parseScheduleTime } from './inputs';

// The break-glass path: when Temporal is down, the disaster-recovery runbook's steps as official `heroku` CLI
// commands for a person to run by hand, in order. Pure (no I/O, no Node built-ins): it computes text from the
// environment's settings and changes nothing. The runbook decides some things from live reads (the formation to
// scale back to, the schedule to re-create, whether maintenance was already on, which backup is "latest"); here the
// operator reads them in step 1, and what cannot be known in advance is a <PLACEHOLDER> to fill in. A placeholder is
// printed quoted like any other argument: left in by mistake, it reaches the CLI as text (no shell redirection).

/** What the commands act on: a target resolved from the environments file (as ResolvedTarget, minus the lock). */
export interface ManualRecoveryTarget {
  app: string;
  environment: string | null;
  maintenance: MaintenanceSettings;
  backups: BackupSettings;
  disasterRecovery: ResolvedDisasterRecoverySettings;
}

export interface ManualRecoveryOptions {
  /** b016, or "latest": then step 1 finds it and the commands carry <BACKUP>. */
  backup: string;
  /** Capture a backup of the current database first (default: the environment's setting, on for production). */
  safetyBackup?: boolean;
  /** Run the migrations command after the restore (default: the environment's runMigrations). */
  migrate?: boolean;
  /** The quantities to scale the quieted processes back to, as `heroku ps` showed them in step 1. */
  processes?: Record<string, number>;
}

export interface ManualStep {
  /** The disaster-recovery runbook's step this does by hand (DR_STEPS). */
  name: DrStepName;
  title: string;
  /** Shell commands, each quoted for a POSIX shell, to run in order. */
  commands: string[];
  note?: string;
  /** The <PLACEHOLDERS> in the commands, to replace before running them. */
  placeholders?: string[];
}

export interface SkippedStep {
  name: DrStepName;
  title: string;
  why: string;
}

export interface ManualRecovery {
  app: string;
  environment: string | null;
  backup: string;
  /** Whether policy (the environment's approval.required) expects a second person to approve first. */
  approvalRequired: boolean;
  steps: ManualStep[];
  /** Runbook steps with nothing to do by hand here, and why. */
  skipped: SkippedStep[];
}

export class ManualRecoveryError extends Error {}

const SHELL_SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quotes one argument for a POSIX shell: as is when safe, else in single quotes. */
export function shellQuote(word: string): string {
  if (SHELL_SAFE.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

function command(words: string[]): string {
  return ['heroku', ...words].map(shellQuote).join(' ');
}

/** <BACKUP>, <N>, <HH>, <TIMEZONE>: what the operator fills in from step 1. */
function placeholdersOf(words: string[]): string[] {
  return words.flatMap((word) => word.match(/<[A-Z]+>/g) ?? []);
}

/**
 * `heroku run` sends a single argument verbatim and joins several with spaces (quoting those with a space or a
 * double quote). A command of plain words is printed as words; anything else (quotes, `;`, `$`…) as one quoted
 * argument, so the dyno runs exactly the configured command either way.
 */
function remoteCommandWords(remote: string): string[] {
  const words = remote.split(' ');
  return words.every((word) => SHELL_SAFE.test(word)) ? words : [remote];
}

const BACKUP_PLACEHOLDER = '<BACKUP>';
const QUANTITY_PLACEHOLDER = '<N>';
const EXIT_CODE_NOTE = "--exit-code makes the remote command's failure fail here: stop if it does.";

/** The runbook's steps as `heroku` CLI commands, for when Temporal is down. Throws ManualRecoveryError on bad options. */
export function manualDisasterRecovery(target: ManualRecoveryTarget, options: ManualRecoveryOptions): ManualRecovery {
  const { app, maintenance, backups } = target;
  const settings = target.disasterRecovery;
  const database = backups.database;
  const appFlag = ['-a', app];

  if (!BackupName.safeParse(options.backup).success) {
    throw new ManualRecoveryError(`--backup must be a backup name such as b016, or "latest"; got "${options.backup}"`);
  }
  const processes = options.processes ?? {};
  const unknown = Object.keys(processes).filter((type) => !settings.quietProcesses.includes(type));
  if (unknown.length > 0) {
    throw new ManualRecoveryError(
      `--process ${unknown.join(', ')}: only the quieted process types are scaled back (${settings.quietProcesses.join(', ') || 'none configured'})`,
    );
  }
  for (const [type, quantity] of Object.entries(processes)) {
    if (!Number.isInteger(quantity) || quantity < 0)
      throw new ManualRecoveryError(`--process ${type}: the quantity must be a whole number, got ${quantity}`);
  }

  const latest = options.backup === 'latest';
  const backup = latest ? BACKUP_PLACEHOLDER : options.backup;
  const safetyBackup = options.safetyBackup ?? settings.safetyBackup;
  const migrate = options.migrate ?? settings.runMigrations;
  const usesConfigVar = maintenance.strategy !== 'platform';
  const usesPlatform = maintenance.strategy !== 'config-var';
  const quiet = settings.quietProcesses;
  const schedule = backups.schedule ? parseScheduleTime(backups.schedule) : null;

  const steps: ManualStep[] = [];
  const skipped: SkippedStep[] = [];
  const add = (name: DrStepName, title: string, commandWords: string[][], note?: string) => {
    const placeholders = [...new Set(commandWords.flatMap(placeholdersOf))];
    steps.push({
      name,
      title,
      commands: commandWords.map(command),
      ...(note ? { note } : {}),
      ...(placeholders.length ? { placeholders } : {}),
    });
  };
  const readMaintenance: string[][] = [
    ...(usesConfigVar ? [['config:get', maintenance.configVar, ...appFlag]] : []),
    ...(usesPlatform ? [['maintenance', ...appFlag]] : []),
  ];
  const run = (remote: string): string[] => ['run', '--exit-code', ...appFlag, '--', ...remoteCommandWords(remote)];

  // 1. What the runbook records at preflight: afterwards it is gone (the restore replaces the database).
  add(
    'preflight',
    'Record the current state (keep this output: later steps need it)',
    [
      ['ps', ...appFlag],
      // With no arguments ps:scale changes nothing: it prints the formation as ps:scale takes it back.
      ['ps:scale', ...appFlag],
      ['pg:backups:schedules', ...appFlag],
      ...(latest ? [['pg:backups', ...appFlag]] : []),
      ['pg:backups:info', backup, ...appFlag],
      ...readMaintenance,
    ],
    [
      'Keep what these print: the restore replaces the database, and later steps need the formation (ps:scale with no',
      'arguments prints it and changes nothing), the schedule, and whether maintenance is on.',
      ...(latest
        ? [
            `pg:backups lists the backups: take the newest whose status is Completed and write its name wherever ${BACKUP_PLACEHOLDER} is,`,
            `now: a backup captured later${safetyBackup ? ' (the safety backup in step 4)' : ''} would become the newest.`,
          ]
        : []),
      `pg:backups:info must show ${latest ? 'the backup' : options.backup} with status Completed; stop here if not.`,
    ].join(' '),
  );

  // 2. Maintenance on: the platform flag first, then the config var, as the runbook switches it.
  add(
    'maintenance-on',
    'Maintenance on',
    [
      ...(usesPlatform ? [['maintenance:on', ...appFlag]] : []),
      ...(usesConfigVar ? [['config:set', `${maintenance.configVar}=${maintenance.onValue}`, ...appFlag]] : []),
    ],
    `Strategy ${maintenance.strategy}.${usesConfigVar ? ' A config var change makes a release and restarts the dynos.' : ''} If step 1 showed maintenance already on, skip this step (and leave it on at the end).`,
  );

  if (quiet.length > 0) {
    add(
      'quiet',
      'Quiet background processes',
      [['ps:scale', ...quiet.map((type) => `${type}=0`), ...appFlag]],
      'Leave out a process type that step 1 did not show running (the runbook quiets only those).',
    );
  } else {
    skipped.push({ name: 'quiet', title: 'Quiet background processes', why: 'no quietProcesses configured' });
  }

  if (safetyBackup) {
    add(
      'safety-backup',
      'Safety backup of the current database',
      [['pg:backups:capture', database, ...appFlag]],
      'Note the name it prints (bNNN): it is the way back to the database as it is now. It waits until the backup is done.',
    );
  } else {
    skipped.push({
      name: 'safety-backup',
      title: 'Safety backup of the current database',
      why:
        options.safetyBackup === false
          ? 'off (--no-safety-backup)'
          : `off for ${target.environment ?? app} (--safety-backup takes one)`,
    });
  }

  add(
    'restore',
    `Restore ${latest ? 'the backup chosen in step 1' : options.backup}`,
    [['pg:backups:restore', backup, database, '--app', app, '--confirm', app]],
    `Replaces ${database} with the backup; it waits until the restore is done (Ctrl-C stops only the waiting). Run it once.`,
  );

  if (schedule) {
    const at = `${String(schedule.hour).padStart(2, '0')}:00 ${schedule.timezone}`;
    add(
      'schedule',
      'Re-create the backup schedule',
      [['pg:backups:schedule', database, '--at', at, ...appFlag]],
      `A restore can drop the schedule. This is the environment's configured time; if pg:backups:schedules in step 1 showed another, use that one.`,
    );
  } else {
    add(
      'schedule',
      'Re-create the backup schedule',
      [['pg:backups:schedule', database, '--at', '<HH>:00 <TIMEZONE>', ...appFlag]],
      `Only if pg:backups:schedules in step 1 showed a schedule (no schedule is configured for ${target.environment ?? app}): use its time.`,
    );
  }

  if (migrate) {
    add('migrations', 'Run migrations', [run(settings.migrationCommand)], EXIT_CODE_NOTE);
  } else {
    skipped.push({
      name: 'migrations',
      title: 'Run migrations',
      why: options.migrate === false ? 'off (--no-migrate)' : 'not asked (--migrate runs them)',
    });
  }

  if (settings.clearCommands.length > 0) {
    add('clear', 'Clear caches and queues from the old database', settings.clearCommands.map(run), EXIT_CODE_NOTE);
  } else {
    skipped.push({
      name: 'clear',
      title: 'Clear caches and queues from the old database',
      why: 'no clearCommands configured',
    });
  }

  add('index', 'Rebuild the search index', [run(settings.indexCommand)], EXIT_CODE_NOTE);

  if (quiet.length > 0) {
    const missing = quiet.filter((type) => processes[type] === undefined);
    add(
      'scale-back',
      'Scale processes back',
      [['ps:scale', ...quiet.map((type) => `${type}=${processes[type] ?? QUANTITY_PLACEHOLDER}`), ...appFlag]],
      missing.length
        ? `Replace each ${QUANTITY_PLACEHOLDER} with the quantity \`heroku ps\` showed in step 1 (leave out a type it did not show). ps:scale ignores a word it cannot read (and then only prints the formation): it must say "Scaling dynos... done".`
        : 'The quantities given with --process: check them against step 1.',
    );
  } else {
    skipped.push({ name: 'scale-back', title: 'Scale processes back', why: 'nothing was quieted' });
  }

  add(
    'maintenance-off',
    'Maintenance off',
    [
      ...(usesPlatform ? [['maintenance:off', ...appFlag]] : []),
      ...(usesConfigVar
        ? [
            maintenance.offValue === null
              ? ['config:unset', maintenance.configVar, ...appFlag]
              : ['config:set', `${maintenance.configVar}=${maintenance.offValue}`, ...appFlag],
          ]
        : []),
    ],
    'Skip this step if step 1 showed maintenance already on: the runbook leaves it as it found it.',
  );

  add(
    'verify',
    'Verify: schedule present, formation as before, maintenance off',
    [['ps', ...appFlag], ['pg:backups:schedules', ...appFlag], ...readMaintenance],
    [
      `Compare with step 1: ${schedule ? `pg:backups:schedules shows ${database}'s daily schedule; ` : ''}ps shows the same formation;`,
      [
        ...(usesConfigVar
          ? [
              `config:get ${maintenance.configVar} prints ${maintenance.offValue === null ? 'an empty line (unset)' : maintenance.offValue}`,
            ]
          : []),
        ...(usesPlatform ? ['maintenance prints off'] : []),
      ].join(' and ') + ', unless maintenance was on before you started.',
    ].join(' '),
  );

  return {
    app,
    environment: target.environment,
    backup: options.backup,
    approvalRequired: settings.approval.required,
    steps,
    skipped,
  };
}

const NOTE_WIDTH = 108;

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** The commands as a script to read and run by hand: a header, numbered steps, a footer. Comments start with #. */
export function formatManualRecovery(recovery: ManualRecovery): string {
  const where = recovery.environment ? `${recovery.app} (environment ${recovery.environment})` : recovery.app;
  const what = recovery.backup === 'latest' ? 'the latest good backup' : recovery.backup;
  const lines = [
    `# Break-glass: disaster recovery of ${where} by hand, restoring ${what}.`,
    '# The manual path, for when Temporal is down: nothing has been run. Run these official `heroku` CLI commands',
    '# yourself, one at a time and in order, reading each output before the next; stop at the first failure.',
  ];
  if (recovery.steps.some((step) => step.placeholders?.length)) {
    lines.push('# <PLACEHOLDERS> are yours to fill in from step 1 before running the command that has them.');
  }
  for (const skip of recovery.skipped) lines.push(`# Not done: ${skip.title.toLowerCase()} — ${skip.why}.`);
  recovery.steps.forEach((step, index) => {
    lines.push('', `# ${index + 1}. ${step.title}`);
    if (step.note) lines.push(...wrap(step.note, NOTE_WIDTH).map((line) => `#    ${line}`));
    lines.push(...step.commands);
  });
  lines.push(
    '',
    recovery.approvalRequired
      ? `# Approval: policy still expects a second person to approve before step 2, as the runbook would ask: have them read these commands.`
      : `# Approval: ${recovery.environment ?? recovery.app} does not require a second person; restoring still replaces its database.`,
    '# Record what you did: `runbook audit` cannot record manual steps. Write down who ran which command, when, and',
    '# what it printed (backup and release names) in the incident record.',
  );
  return lines.join('\n');
}
