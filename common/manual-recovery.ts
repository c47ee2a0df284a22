import type { BackupSettings, MaintenanceSettings, ResolvedDisasterRecoverySettings } from './environments';
import { BackupName, parseScheduleTime } from './inputs';
import { BACKUP_PLACEHOLDER, RECOVERY_STEPS, SHELL_SAFE, type ManualContext } from './recovery-steps';

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
  /** The disaster-recovery runbook's step this does by hand (RECOVERY_STEPS). */
  name: string;
  title: string;
  /** Shell commands, each quoted for a POSIX shell, to run in order. */
  commands: string[];
  note?: string;
  /** The <PLACEHOLDERS> in the commands, to replace before running them. */
  placeholders?: string[];
}

export interface SkippedStep {
  name: string;
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
 * The runbook's steps as `heroku` CLI commands, for when Temporal is down: each step of the runbook's step table
 * (common/recovery-steps.ts) that has a manual equivalent, in the runbook's order. Throws ManualRecoveryError on
 * bad options.
 */
export function manualDisasterRecovery(target: ManualRecoveryTarget, options: ManualRecoveryOptions): ManualRecovery {
  const settings = target.disasterRecovery;
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
  const context: ManualContext = {
    app: target.app,
    environment: target.environment,
    maintenance: target.maintenance,
    settings,
    database: target.backups.database,
    backup: latest ? BACKUP_PLACEHOLDER : options.backup,
    latest,
    safetyBackup: options.safetyBackup ?? settings.safetyBackup,
    safetyBackupRefused: options.safetyBackup === false,
    migrate: options.migrate ?? settings.runMigrations,
    migrateRefused: options.migrate === false,
    schedule: target.backups.schedule ? parseScheduleTime(target.backups.schedule) : null,
    processes,
  };

  const steps: ManualStep[] = [];
  const skipped: SkippedStep[] = [];
  for (const step of RECOVERY_STEPS) {
    const part = step.manual?.(context);
    if (!part) continue;
    if ('skip' in part) {
      skipped.push({ name: step.name, title: step.title, why: part.skip });
      continue;
    }
    const placeholders = [...new Set(part.commands.flatMap(placeholdersOf))];
    steps.push({
      name: step.name,
      title: part.title ?? step.title,
      commands: part.commands.map(command),
      ...(part.note ? { note: part.note } : {}),
      ...(placeholders.length ? { placeholders } : {}),
    });
  }
  return {
    app: target.app,
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
