import { z } from 'zod';
import type { DynoOutcome } from '../state-dynos';

/**
 * What a one-off command does in the simulator: its exit status, how long it runs (simulated) and what it prints.
 * Rules are matched against the command in order; each field comes from the first matching rule that sets it, so a
 * test can make `rebuild_index` fail (`{pattern: 'rebuild_index', exitStatus: 1}`) and keep its usual duration and
 * output. Rules set through the control API come before the built-in ones below.
 */
export const outcomeRuleSchema = z.strictObject({
  /** A regular expression searched for in the command, without the CLI's `; echo … exit-status` suffix. */
  pattern: z.string().refine(isRegExp, 'must be a valid regular expression'),
  exitStatus: z.int().min(0).max(255).optional(),
  durationSeconds: z.number().nonnegative().optional(),
  output: z.array(z.string()).optional(),
});

export type OutcomeRule = z.infer<typeof outcomeRuleSchema>;

function isRegExp(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

/** The Reconnecting Asia app's management commands (shared/seed/heroku-setup.md), with Django-like output. */
export const DEFAULT_OUTCOME_RULES: readonly OutcomeRule[] = [
  {
    pattern: '^python manage\\.py rebuild_index\\b',
    exitStatus: 0,
    durationSeconds: 120,
    output: [
      "WARNING: This will irreparably remove EVERYTHING from your search index in connection 'default'.",
      'Your choices after this are to restore from backups or rebuild via the `rebuild_index` command.',
      'Removing all documents from your index because you said so.',
      'All documents removed.',
      'Indexing 412 projects',
      'Indexing 87 initiatives',
      'Indexing 1264 entries',
      'Indexing 355 organizations',
    ],
  },
  {
    pattern: '^python manage\\.py migrate\\b',
    exitStatus: 0,
    durationSeconds: 20,
    output: [
      'Operations to perform:',
      '  Apply all migrations: admin, auth, contenttypes, infrastructure, locations, sessions, sites, writings',
      'Running migrations:',
      '  No migrations to apply.',
    ],
  },
];

/** Unknown commands succeed quickly. */
const FALLBACK_EXIT_STATUS = 0;
const FALLBACK_DURATION_SECONDS = 3;
const fallbackOutput = (command: string): string[] => [`Ran \`${command}\` (no scripted output for this command).`];

/** `heroku run --exit-code` appends this to the command so the exit status comes back over rendezvous. */
const CLI_EXIT_STATUS_SUFFIX = / ; echo "\uFFFF heroku-command-exit-status: \$\?"$/;

/** The command as the user wrote it, and whether the CLI asked for the exit-status marker. */
export function parseCommand(command: string): { command: string; echoesExitStatus: boolean } {
  const stripped = command.replace(CLI_EXIT_STATUS_SUFFIX, '');
  return { command: stripped, echoesExitStatus: stripped !== command };
}

export class DynoOutcomes {
  private custom: OutcomeRule[] = [];

  list(): { rules: OutcomeRule[]; defaults: readonly OutcomeRule[] } {
    return { rules: [...this.custom], defaults: DEFAULT_OUTCOME_RULES };
  }

  /** Adds a rule ahead of all others: the newest rule wins. */
  add(rule: OutcomeRule): void {
    this.custom.unshift(rule);
  }

  /** Replaces the custom rules; the first matching rule wins. */
  replace(rules: OutcomeRule[]): void {
    this.custom = [...rules];
  }

  reset(): void {
    this.custom = [];
  }

  /** The outcome of `command` (the user's command, without the CLI suffix). */
  resolve(command: string): DynoOutcome {
    const rules = [...this.custom, ...DEFAULT_OUTCOME_RULES];
    const matching = rules.filter((rule) => new RegExp(rule.pattern).test(command));
    const first = <K extends keyof OutcomeRule>(key: K): OutcomeRule[K] | undefined =>
      matching.find((rule) => rule[key] !== undefined)?.[key];
    return {
      exit_status: first('exitStatus') ?? FALLBACK_EXIT_STATUS,
      duration_seconds: first('durationSeconds') ?? FALLBACK_DURATION_SECONDS,
      output: first('output') ?? fallbackOutput(command),
    };
  }
}
