import { z } from 'zod';
import { HerokuAppName } from './inputs';
import { OUTSIDE_CHANGES_ID_PREFIX } from './workflow-ids';

// Changes made to an app outside the engine (`heroku config:set` by hand, the dashboard, a deploy, `ps:scale`,
// `pg:backups:restore`, `heroku run`), found on Heroku by the reconciler and put in the audit trail.

/** The `runbook` of every record the reconciler writes. */
export const OUTSIDE_CHANGE_RUNBOOK = 'outside-change';

/** The workflow type that reconciles, started by the worker's Schedule and by `runbook audit reconcile`. */
export const RECONCILE_OUTSIDE_CHANGES_WORKFLOW = 'reconcileOutsideChanges';

/** Who a change is by when Heroku does not name anyone (formation, transfers, dynos). */
export const UNKNOWN_ACTOR = 'unknown (Heroku does not say who)';

/** Who wrote a record that is an observation, not a change (the formation's baseline). */
export const RECONCILER_ACTOR = 'outside-change reconciler';

/**
 * The trail's identity of an outside change: workflow ID `outside-changes:<app>`, run ID `<kind>:<Heroku id>`,
 * seq 0. Deterministic, so the same change is recorded once however many reconcilers find it, however often.
 */
export function outsideChangesWorkflowId(app: string): string {
  return `${OUTSIDE_CHANGES_ID_PREFIX}${app}`;
}

/** The workflow's input. Only which apps: every fact it records comes from Heroku and the trail, none from here. */
export const ReconcileOutsideChangesInput = z.strictObject({
  apps: z
    .array(HerokuAppName)
    .min(1)
    .max(100)
    .optional()
    .describe('the configured apps to look at (default: every app of the environments file)'),
});
export type ReconcileOutsideChangesInput = z.input<typeof ReconcileOutsideChangesInput>;

export type OutsideChangeKind = 'release' | 'formation' | 'transfer' | 'dyno';

/** One outside change, as the reconciler recorded it. */
export interface OutsideChange {
  app: string;
  environment: string | null;
  kind: OutsideChangeKind;
  /** Its run ID in the trail (`release:<uuid>`, `formation:web:<updated_at>`, …); the workflow ID is the app's. */
  runId: string;
  operator: string;
  summary: string;
  /** When Heroku says it happened (a formation: when it was last updated). */
  herokuAt: string | null;
}

/** What one pass found on one app. */
export interface AppReconciliation {
  app: string;
  environment: string | null;
  /** Outside changes this pass recorded: new in the trail. */
  recorded: OutsideChange[];
  /** Outside changes this pass found that were on the record already. */
  alreadyRecorded: number;
  /** This was the first look at the app's formation: it was recorded as a baseline, not as changes. */
  baseline: boolean;
  /** Why nothing was looked at this time (an engine change in flight), or null. */
  deferred: string | null;
}

export interface ReconcileOutsideChangesResult {
  apps: AppReconciliation[];
  /** Every app's new records, oldest first. */
  recorded: OutsideChange[];
  summary: string;
}

/** "csis-reconasia-bravo: 2 new outside changes; csis-reconasia-alfa: none new (3 already on record)". */
export function describeReconciliation(apps: AppReconciliation[]): string {
  return apps
    .map((app) => {
      if (app.deferred) return `${app.app}: not looked at this time (${app.deferred})`;
      const count = app.recorded.length;
      const found = count ? `${count} new outside change${count === 1 ? '' : 's'}` : 'no new outside changes';
      const known = app.alreadyRecorded ? ` (${app.alreadyRecorded} already on record)` : '';
      return `${app.app}: ${found}${known}${app.baseline ? '; formation baseline recorded' : ''}`;
    })
    .join('; ');
}
