import type { AppLeftState } from './disaster-recovery';

// What a failed or cancelled disaster recovery undoes, and how it says it left the app: facts about the run → a pure
// decision → actions (the workflow's) → the paragraph. The decision is the data-safety policy, unit-tested on a table
// of cases (test/recovery-compensation.test.ts) without a Temporal server.

export type RestoreFact =
  /** No restore was asked for. */
  | { state: 'not-asked' }
  /** Asked for, but the run never learned which transfer Heroku started (the answer was lost). */
  | { state: 'asked' }
  | { state: 'running' | 'succeeded' | 'failed' | 'canceled'; name: string };

/** What the run knows when it stops, from its steps and the checkpoint. */
export interface CompensationFacts {
  app: string;
  workflowId: string;
  /** The backup being restored, and where: b016, DATABASE_URL. */
  backup: string;
  databaseVar: string;
  cancelled: boolean;
  /** The step that failed (or was running when the run was cancelled). */
  failedStep: string | null;
  /** The run's lock ended from outside: another runbook may be changing the app. */
  lockBroken: boolean;
  maintenanceOnBefore: boolean;
  /** The run turned maintenance on (or began to). */
  maintenanceTouched: boolean;
  /** The run scaled the quiet process types to 0 (or began to). */
  quietTouched: boolean;
  /** The quieted types and the quantities to scale them back to: `worker=2 scheduler=1`. */
  recordedScale: string;
  restore: RestoreFact;
  migrations: 'not-run' | 'started' | 'succeeded';
  /** Clear commands are configured, and whether they ran. */
  clearConfigured: boolean;
  clearDone: boolean;
  /** Titles of the steps after the restore that did not complete (schedule, migrations, clear, index). */
  notDone: string[];
}

export interface CompensationDecision {
  scaleBack: boolean;
  /** Why the processes are not scaled back, when they were quieted and are not. */
  keepQuietBecause: string | null;
  maintenanceOff: boolean;
  /** Why maintenance stays on, when the run turned it on and does not turn it off. */
  keepMaintenanceBecause: string | null;
  database: AppLeftState['database'];
}

/** Whether a restore may still be running on Heroku, and so must be stopped before anything else is decided. */
export function restoreToStop(facts: CompensationFacts): boolean {
  return facts.restore.state === 'running';
}

/**
 * The data-safety policy. Maintenance is turned off again only when the database is known good: not while a restore
 * is unfinished or the migrations are, nor while caches and queues from before the restore are uncleared (the site
 * would serve stale data). Quieted processes are scaled back. A run whose lock was broken undoes nothing but its own
 * running restore: another runbook may be changing the app, and scaling or switching maintenance under it would
 * fight it.
 */
export function decideCompensation(facts: CompensationFacts): CompensationDecision {
  const restored = facts.restore.state === 'succeeded';
  const dataUnsafe = facts.restore.state !== 'not-asked' && !restored;
  const schemaUnsafe = facts.migrations === 'started';
  const staleCaches = restored && facts.clearConfigured && !facts.clearDone;
  const database: AppLeftState['database'] = restored ? 'restored' : dataUnsafe ? 'may be inconsistent' : 'untouched';

  const broken = facts.lockBroken
    ? 'the app lock was broken: another runbook may be changing the app, so this run undoes nothing there'
    : null;
  const keepMaintenanceBecause = !facts.maintenanceTouched
    ? null
    : broken
      ? broken
      : dataUnsafe
        ? `the database may be inconsistent: ${restoreDescription(facts)} did not complete`
        : schemaUnsafe
          ? 'the database may be inconsistent: the migrations did not complete'
          : staleCaches
            ? 'caches and queues from before the restore were not cleared, so the site would serve stale data'
            : facts.maintenanceOnBefore
              ? 'it was on before this run'
              : null;
  return {
    scaleBack: facts.quietTouched && !broken,
    keepQuietBecause: facts.quietTouched && broken ? broken : null,
    maintenanceOff: facts.maintenanceTouched && keepMaintenanceBecause === null,
    keepMaintenanceBecause,
    database,
  };
}

function restoreDescription(facts: CompensationFacts): string {
  const { restore } = facts;
  const name = 'name' in restore ? restore.name : '(started, name unknown)';
  return `restore ${name} of ${facts.backup}`;
}

/** What the compensation actions did: each ok, failed (with the message), or not tried. */
export interface CompensationOutcomes {
  /** The stopped restore, as the cancel left it (null: not tried); `error` when it could not be stopped. */
  stoppedRestore?: { cancelled: boolean; status: string; processedBytes: number | null } | { error: string };
  scaledBack?: { done: string } | { error: string };
  /**
   * `stillOn`: the run had turned maintenance on, and turning it off failed before any change was asked of Heroku
   * (its first read was refused, say: a revoked token), so maintenance is known to be still on — not unknown.
   */
  maintenanceOff?: { done: string } | { error: string; stillOn?: boolean };
}

/** The left state in words and for machines: what the failure message, `runbook status` and the trail say. */
export function describeLeftState(
  facts: CompensationFacts,
  decision: CompensationDecision,
  outcomes: CompensationOutcomes,
): AppLeftState {
  const { app } = facts;
  const notes: string[] = [];
  const stopped = outcomes.stoppedRestore;
  const restore = `restore ${'name' in facts.restore ? facts.restore.name : '(name unknown)'}`;
  if (stopped && 'error' in stopped) {
    notes.push(`${restore} could not be stopped (${stopped.error}): check \`heroku pg:backups -a ${app}\``);
  } else if (stopped) {
    notes.push(
      stopped.cancelled
        ? `${restore} was stopped at ${stopped.processedBytes ?? 0} bytes (${stopped.status})`
        : stopped.status === 'succeeded'
          ? `${restore} finished before it could be stopped`
          : `${restore} ${stopped.status}`,
    );
  }

  let processes: AppLeftState['processes'] = 'as before';
  const scaled = outcomes.scaledBack;
  if (decision.scaleBack && scaled && 'done' in scaled) notes.push(`processes scaled back (${scaled.done})`);
  if (decision.scaleBack && scaled && 'error' in scaled) {
    processes = 'quiet';
    notes.push(
      `processes could NOT be scaled back (${scaled.error}): run \`heroku ps:scale ${facts.recordedScale} -a ${app}\``,
    );
  }
  if (decision.keepQuietBecause) {
    processes = 'quiet';
    notes.push(`processes left quiet because ${decision.keepQuietBecause}`);
  }

  let maintenance: AppLeftState['maintenance'] = facts.maintenanceOnBefore ? 'on' : 'off';
  if (facts.maintenanceTouched) {
    const off = outcomes.maintenanceOff;
    if (decision.keepMaintenanceBecause) {
      maintenance = 'on';
      if (!facts.maintenanceOnBefore) notes.push(`maintenance left ON because ${decision.keepMaintenanceBecause}`);
    } else if (off && 'done' in off) {
      maintenance = 'off';
      notes.push('maintenance turned off again');
    } else if (off && 'error' in off) {
      maintenance = off.stillOn ? 'on' : 'unknown';
      notes.push(
        `maintenance could NOT be turned off (${off.error})${off.stillOn ? ' and is still ON' : ''}: run \`runbook run maintenance-off --app ${app}\``,
      );
    }
  }

  const { database } = decision;
  const retry = `\`runbook retry ${facts.workflowId}\``;
  const next = facts.lockBroken
    ? `find out who broke the lock and what runs on ${app} now (\`runbook status\`, the Temporal UI's list for HerokuApp="${app}"); when nothing else is changing it, ${
        database === 'restored' ? `${retry} continues without restoring again` : `${retry}`
      }${maintenance === 'on' && !facts.maintenanceOnBefore ? `, or \`runbook run maintenance-off --app ${app}\` if the site may go back up as it is` : ''}`
    : database === 'may be inconsistent' || facts.migrations === 'started'
      ? `fix the cause, then ${retry} (it restores ${facts.backup} again and carries on); by hand: \`heroku pg:backups:restore ${facts.backup} ${facts.databaseVar} --app ${app} --confirm ${app}\`, then the remaining steps (\`runbook manual disaster-recovery\`)`
      : database === 'restored'
        ? `${retry} continues from "${facts.failedStep ?? 'the failed step'}" without restoring again`
        : `nothing was restored; fix the cause and ${retry} (or start a new disaster recovery)`;
  const processWords = processes === 'quiet' ? 'still quiet' : facts.quietTouched ? 'scaled back' : 'not touched';
  const databaseWords =
    database === 'restored'
      ? `restored from ${facts.backup}${'name' in facts.restore ? ` (${facts.restore.name})` : ''}`
      : database;
  const statement = [
    `${facts.cancelled ? 'Cancelled' : 'Failed'}${facts.failedStep ? ` at "${facts.failedStep}"` : ''}.`,
    `State of ${app}: database ${databaseWords}; maintenance ${maintenance.toUpperCase()}; processes ${processWords}.`,
    notes.length ? `Compensation: ${notes.join('; ')}.` : 'Compensation: nothing to undo.',
    facts.notDone.length && database === 'restored' ? `Not done: ${facts.notDone.join(', ')}.` : '',
    `Next: ${next}.`,
  ]
    .filter(Boolean)
    .join(' ');
  return { maintenance, processes, database, statement, next };
}
