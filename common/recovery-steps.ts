import { describeSchedule } from './backups';
import type { PlannedStep } from './disaster-recovery';
import type { MaintenanceSettings, MaintenanceStrategy, ResolvedDisasterRecoverySettings } from './environments';
import type { ProcessFormation } from './formation';

// The disaster-recovery runbook, one entry per step: its name and title (the progress list), what it changes and how
// it is undone, the plan line it contributes (what it will change, or why it is skipped: the plan an approver
// approves, and that execution then walks), and the same step by hand as `heroku` commands (`runbook manual`).
// The planning activity, the workflow, the manual printout and the docs all read this table, so what was approved
// is what runs, and the printout is the same procedure.

/** What planning learned from live reads (and from an earlier run, when this one continues it). */
export interface PlanFacts {
  strategy: MaintenanceStrategy;
  settings: ResolvedDisasterRecoverySettings;
  /** DATABASE_URL (the attachment's config var) and its add-on. */
  databaseVar: string;
  addonName: string;
  backup: string;
  maintenanceOnBefore: boolean;
  formation: ProcessFormation[];
  /** The quiet-able process types the app runs now. */
  quiet: string[];
  safetyBackup: boolean;
  migrate: boolean;
  schedule: { hour: number; timezone: string; source: 'recorded' | 'configured' } | null;
  /** Steps an earlier run completed that still hold (verified with Heroku just now). */
  done: string[];
  /** That earlier run, and what it left ("b017" for its safety backup, "r005" for its restore). */
  resumedFrom: { workflowId: string; safetyBackup: string | null; restore: string | null } | null;
}

/** What a step contributes to the plan: what it will change, or why it will not run (then `change` is null). */
export interface StepPlan {
  change: string | null;
  skip: string | null;
}

/** What `runbook manual` knows: the environments file's settings and the operator's options, no live reads. */
export interface ManualContext {
  app: string;
  environment: string | null;
  maintenance: MaintenanceSettings;
  settings: ResolvedDisasterRecoverySettings;
  /** The database's config var (DATABASE_URL). */
  database: string;
  /** The backup's name, or <BACKUP> when the operator picks the latest in step 1. */
  backup: string;
  latest: boolean;
  safetyBackup: boolean;
  /** Whether --no-safety-backup / --no-migrate said so (for the "not done" line). */
  safetyBackupRefused: boolean;
  migrate: boolean;
  migrateRefused: boolean;
  schedule: { hour: number; timezone: string } | null;
  /** Quantities to scale back to, as the operator read them from `heroku ps` in step 1. */
  processes: Record<string, number>;
}

/** A step by hand: `heroku …` argument lists (quoted when printed), with a note; or why there is nothing to do. */
export type ManualPart = { title?: string; commands: string[][]; note?: string } | { skip: string };

export interface RecoveryStep {
  name: string;
  title: string;
  /** What it changes on the app, in words; null for the steps that only read or decide. */
  changes: string | null;
  /** How a failed or cancelled run undoes it (compensation), or why it is not undone. */
  undo: string | null;
  /** Steps of one stage run side by side (maintenance on ∥ quiet); stages run in order. Only changing steps. */
  stage?: number;
  plan?(facts: PlanFacts): StepPlan;
  manual?(context: ManualContext): ManualPart;
}

export const BACKUP_PLACEHOLDER = '<BACKUP>';
export const QUANTITY_PLACEHOLDER = '<N>';
const EXIT_CODE_NOTE = "--exit-code makes the remote command's failure fail here: stop if it does.";

const appFlag = (context: ManualContext) => ['-a', context.app];
const usesConfigVar = (strategy: MaintenanceStrategy) => strategy !== 'platform';
const usesPlatform = (strategy: MaintenanceStrategy) => strategy !== 'config-var';
const run = (context: ManualContext, remote: string): string[] => [
  'run',
  '--exit-code',
  ...appFlag(context),
  '--',
  ...remoteCommandWords(remote),
];
const readMaintenance = (context: ManualContext): string[][] => [
  ...(usesConfigVar(context.maintenance.strategy)
    ? [['config:get', context.maintenance.configVar, ...appFlag(context)]]
    : []),
  ...(usesPlatform(context.maintenance.strategy) ? [['maintenance', ...appFlag(context)]] : []),
];

/** `heroku maintenance:on|off` and/or the config var, as the environment's strategy switches maintenance. */
function switchMaintenance(context: ManualContext, on: boolean): string[][] {
  const { strategy, configVar, onValue, offValue } = context.maintenance;
  const configVarCommand = on
    ? ['config:set', `${configVar}=${onValue}`]
    : offValue === null
      ? ['config:unset', configVar]
      : ['config:set', `${configVar}=${offValue}`];
  return [
    ...(usesPlatform(strategy) ? [[on ? 'maintenance:on' : 'maintenance:off', ...appFlag(context)]] : []),
    ...(usesConfigVar(strategy) ? [[...configVarCommand, ...appFlag(context)]] : []),
  ];
}

/** A shell word no POSIX shell interprets: printed as is. */
export const SHELL_SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * `heroku run` sends a single argument verbatim and joins several with spaces (quoting those with a space or a
 * double quote). A command of plain words is printed as words; anything else (quotes, `;`, `$`…) as one quoted
 * argument, so the dyno runs exactly the configured command either way.
 */
function remoteCommandWords(remote: string): string[] {
  const words = remote.split(' ');
  return words.every((word) => SHELL_SAFE.test(word)) ? words : [remote];
}

function describeScale(
  formation: ProcessFormation[],
  types: string[],
  to: (p: ProcessFormation) => number,
  from: (p: ProcessFormation) => number,
): string {
  return formation
    .filter((p) => types.includes(p.type))
    .map((p) => `${p.type} ${from(p)} → ${to(p)}`)
    .join(', ');
}

/** "done in <run>[ (b017)], verified" when an earlier run completed the step, else null. */
function doneEarlier(facts: PlanFacts, step: string, what: string | null = null): string | null {
  if (!facts.done.includes(step) || !facts.resumedFrom) return null;
  return `done in ${facts.resumedFrom.workflowId}${what ? ` (${what})` : ''}, verified`;
}

export const RECOVERY_STEPS: readonly RecoveryStep[] = [
  { name: 'resolve', title: 'Resolve the app', changes: null, undo: null },
  { name: 'lock', title: 'Take the app lock (one changing runbook per app)', changes: null, undo: 'released' },
  { name: 'resume', title: 'Read the run this one continues', changes: null, undo: null },
  {
    name: 'preflight',
    title: 'Preflight: app, backup, formation and schedule recorded',
    changes: null,
    undo: null,
    // What the runbook records at preflight: afterwards it is gone (the restore replaces the database).
    manual: (context) => ({
      title: 'Record the current state (keep this output: later steps need it)',
      commands: [
        ['ps', ...appFlag(context)],
        // With no arguments ps:scale changes nothing: it prints the formation as ps:scale takes it back.
        ['ps:scale', ...appFlag(context)],
        ['pg:backups:schedules', ...appFlag(context)],
        ...(context.latest ? [['pg:backups', ...appFlag(context)]] : []),
        ['pg:backups:info', context.backup, ...appFlag(context)],
        ...readMaintenance(context),
      ],
      note: [
        'Keep what these print: the restore replaces the database, and later steps need the formation (ps:scale with no',
        'arguments prints it and changes nothing), the schedule, and whether maintenance is on.',
        ...(context.latest
          ? [
              `pg:backups lists the backups: take the newest whose status is Completed and write its name wherever ${BACKUP_PLACEHOLDER} is,`,
              `now: a backup captured later${context.safetyBackup ? ' (the safety backup in step 4)' : ''} would become the newest.`,
            ]
          : []),
        `pg:backups:info must show ${context.latest ? 'the backup' : context.backup} with status Completed; stop here if not.`,
      ].join(' '),
    }),
  },
  { name: 'plan', title: 'Plan: what will change, with its hash', changes: null, undo: null },
  { name: 'approval', title: 'Approval by a second person', changes: null, undo: null },
  { name: 'drift-check', title: 'Re-read the live state: still the approved plan?', changes: null, undo: null },
  {
    name: 'maintenance-on',
    title: 'Maintenance on',
    changes: 'the maintenance state (config var and/or Heroku flag)',
    undo: 'turned off again, unless the database may be inconsistent or still serves stale caches and queues',
    stage: 1,
    plan: (facts) =>
      facts.maintenanceOnBefore
        ? { change: null, skip: 'already on' }
        : { change: `turn maintenance on (${facts.strategy})`, skip: null },
    // The platform flag first, then the config var, as the runbook switches it.
    manual: (context) => ({
      commands: switchMaintenance(context, true),
      note: `Strategy ${context.maintenance.strategy}.${usesConfigVar(context.maintenance.strategy) ? ' A config var change makes a release and restarts the dynos.' : ''} If step 1 showed maintenance already on, skip this step (and leave it on at the end).`,
    }),
  },
  {
    name: 'quiet',
    title: 'Quiet background processes (scale to 0)',
    changes: 'the formation: the quiet process types to 0',
    undo: 'scaled back to the recorded quantities',
    stage: 1,
    plan: (facts) =>
      facts.quiet.length
        ? {
            change: `scale ${describeScale(
              facts.formation,
              facts.quiet,
              () => 0,
              (p) => p.quantity,
            )}`,
            skip: null,
          }
        : {
            change: null,
            skip: `none of ${facts.settings.quietProcesses.join(', ') || '(none configured)'} is running`,
          },
    manual: (context) =>
      context.settings.quietProcesses.length === 0
        ? { skip: 'no quietProcesses configured' }
        : {
            commands: [
              ['ps:scale', ...context.settings.quietProcesses.map((type) => `${type}=0`), ...appFlag(context)],
            ],
            note: 'Leave out a process type that step 1 did not show running (the runbook quiets only those).',
          },
  },
  {
    name: 'safety-backup',
    title: 'Safety backup of the current database',
    changes: 'adds a backup (nothing is replaced)',
    undo: null,
    stage: 2,
    plan: (facts) => {
      const done = doneEarlier(facts, 'safety-backup', facts.resumedFrom?.safetyBackup);
      if (done) return { change: null, skip: done };
      return facts.safetyBackup
        ? { change: `capture a backup of ${facts.databaseVar} (${facts.addonName}) as it is now`, skip: null }
        : { change: null, skip: 'off (safetyBackup: false)' };
    },
    manual: (context) =>
      context.safetyBackup
        ? {
            commands: [['pg:backups:capture', context.database, ...appFlag(context)]],
            note: 'Note the name it prints (bNNN): it is the way back to the database as it is now. It waits until the backup is done.',
          }
        : {
            skip: context.safetyBackupRefused
              ? 'off (--no-safety-backup)'
              : `off for ${context.environment ?? context.app} (--safety-backup takes one)`,
          },
  },
  {
    name: 'restore',
    title: 'Restore the backup',
    changes: "replaces the database's data with the backup's",
    undo: 'a restore still running is cancelled; a finished one is not undone (the safety backup is the way back)',
    stage: 3,
    plan: (facts) => {
      const done = doneEarlier(facts, 'restore', facts.resumedFrom?.restore);
      return done
        ? { change: null, skip: done }
        : { change: `replace ${facts.databaseVar} (${facts.addonName}) with ${facts.backup}`, skip: null };
    },
    manual: (context) => ({
      title: `Restore ${context.latest ? 'the backup chosen in step 1' : context.backup}`,
      commands: [
        ['pg:backups:restore', context.backup, context.database, '--app', context.app, '--confirm', context.app],
      ],
      note: `Replaces ${context.database} with the backup; it waits until the restore is done (Ctrl-C stops only the waiting). Run it once.`,
    }),
  },
  {
    name: 'schedule',
    title: 'Re-create the backup schedule',
    changes: "the database's daily backup schedule (a restore drops it)",
    undo: null,
    stage: 4,
    plan: (facts) =>
      facts.schedule
        ? { change: `backups ${describeSchedule(facts.schedule)} (${facts.schedule.source})`, skip: null }
        : { change: null, skip: 'no schedule recorded or configured' },
    manual: (context) => {
      if (context.schedule) {
        const at = `${String(context.schedule.hour).padStart(2, '0')}:00 ${context.schedule.timezone}`;
        return {
          commands: [['pg:backups:schedule', context.database, '--at', at, ...appFlag(context)]],
          note: `A restore can drop the schedule. This is the environment's configured time; if pg:backups:schedules in step 1 showed another, use that one.`,
        };
      }
      return {
        commands: [['pg:backups:schedule', context.database, '--at', '<HH>:00 <TIMEZONE>', ...appFlag(context)]],
        note: `Only if pg:backups:schedules in step 1 showed a schedule (no schedule is configured for ${context.environment ?? context.app}): use its time.`,
      };
    },
  },
  {
    name: 'migrations',
    title: 'Run migrations',
    changes: "the database's schema (a one-off dyno)",
    undo: null,
    stage: 5,
    plan: (facts) =>
      doneEarlier(facts, 'migrations')
        ? { change: null, skip: doneEarlier(facts, 'migrations') }
        : facts.migrate
          ? { change: `run \`${facts.settings.migrationCommand}\``, skip: null }
          : { change: null, skip: 'not asked: --migrate / runMigrations is off' },
    manual: (context) =>
      context.migrate
        ? { commands: [run(context, context.settings.migrationCommand)], note: EXIT_CODE_NOTE }
        : { skip: context.migrateRefused ? 'off (--no-migrate)' : 'not asked (--migrate runs them)' },
  },
  {
    name: 'clear',
    title: 'Clear caches and queues from the old database',
    changes: 'caches and queues (one-off dynos)',
    undo: null,
    stage: 6,
    plan: (facts) => {
      const commands = facts.settings.clearCommands;
      return (
        (doneEarlier(facts, 'clear') && { change: null, skip: doneEarlier(facts, 'clear') }) ||
        (commands.length
          ? { change: commands.map((c) => `run \`${c}\``).join('; '), skip: null }
          : { change: null, skip: 'no clear commands configured' })
      );
    },
    manual: (context) =>
      context.settings.clearCommands.length
        ? { commands: context.settings.clearCommands.map((command) => run(context, command)), note: EXIT_CODE_NOTE }
        : { skip: 'no clearCommands configured' },
  },
  {
    name: 'index',
    title: 'Rebuild the search index',
    changes: 'the search index (a one-off dyno)',
    undo: null,
    stage: 7,
    plan: (facts) => ({
      change: doneEarlier(facts, 'index') ? null : `run \`${facts.settings.indexCommand}\``,
      skip: doneEarlier(facts, 'index'),
    }),
    manual: (context) => ({ commands: [run(context, context.settings.indexCommand)], note: EXIT_CODE_NOTE }),
  },
  {
    name: 'scale-back',
    title: 'Scale processes back',
    changes: 'the formation: the quieted process types back to their recorded quantities',
    undo: null,
    stage: 8,
    plan: (facts) =>
      facts.quiet.length
        ? {
            change: `scale ${describeScale(
              facts.formation,
              facts.quiet,
              (p) => p.quantity,
              () => 0,
            )}`,
            skip: null,
          }
        : { change: null, skip: 'nothing was quieted' },
    manual: (context) => {
      const quiet = context.settings.quietProcesses;
      if (quiet.length === 0) return { skip: 'nothing was quieted' };
      const missing = quiet.filter((type) => context.processes[type] === undefined);
      return {
        commands: [
          [
            'ps:scale',
            ...quiet.map((type) => `${type}=${context.processes[type] ?? QUANTITY_PLACEHOLDER}`),
            ...appFlag(context),
          ],
        ],
        note: missing.length
          ? `Replace each ${QUANTITY_PLACEHOLDER} with the quantity \`heroku ps\` showed in step 1 (leave out a type it did not show). ps:scale ignores a word it cannot read (and then only prints the formation): it must say "Scaling dynos... done".`
          : 'The quantities given with --process: check them against step 1.',
      };
    },
  },
  {
    name: 'maintenance-off',
    title: 'Maintenance off',
    changes: 'the maintenance state, back to off',
    undo: null,
    stage: 9,
    plan: (facts) =>
      facts.maintenanceOnBefore
        ? { change: null, skip: 'it was on before this run: it stays on' }
        : { change: 'turn maintenance off', skip: null },
    manual: (context) => ({
      commands: switchMaintenance(context, false),
      note: 'Skip this step if step 1 showed maintenance already on: the runbook leaves it as it found it.',
    }),
  },
  {
    name: 'verify',
    title: 'Verify: schedule present, formation and maintenance as before',
    changes: null,
    undo: null,
    stage: 10,
    plan: () => ({ change: 'read back schedule, formation and maintenance', skip: null }),
    manual: (context) => {
      const { maintenance } = context;
      return {
        commands: [
          ['ps', ...appFlag(context)],
          ['pg:backups:schedules', ...appFlag(context)],
          ...readMaintenance(context),
        ],
        note: [
          `Compare with step 1: ${context.schedule ? `pg:backups:schedules shows ${context.database}'s daily schedule; ` : ''}ps shows the same formation;`,
          [
            ...(usesConfigVar(maintenance.strategy)
              ? [
                  `config:get ${maintenance.configVar} prints ${maintenance.offValue === null ? 'an empty line (unset)' : maintenance.offValue}`,
                ]
              : []),
            ...(usesPlatform(maintenance.strategy) ? ['maintenance prints off'] : []),
          ].join(' and ') + ', unless maintenance was on before you started.',
        ].join(' '),
      };
    },
  },
];

/** The steps that change the app (or read it back), in the order they run: what a plan lists and execution walks. */
export const EXECUTION_STEPS = RECOVERY_STEPS.filter((step) => step.plan !== undefined);

/** The plan's steps, from the table: each with what it will change, or why it is skipped. */
export function planSteps(facts: PlanFacts): PlannedStep[] {
  return EXECUTION_STEPS.map((step) => ({
    name: step.name,
    title: step.title,
    stage: step.stage!,
    ...step.plan!(facts),
  }));
}

export function recoveryStep(name: string): RecoveryStep | undefined {
  return RECOVERY_STEPS.find((step) => step.name === name);
}
