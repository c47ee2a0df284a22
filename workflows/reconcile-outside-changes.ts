import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { OutsideChangeActivities } from '../activities';
import { summarized } from './activities';
import { FailureTypes, rootMessage } from '../common/errors';
import {
  describeReconciliation,
  ReconcileOutsideChangesInput,
  type AppReconciliation,
  type ReconcileOutsideChangesResult,
} from '../common/outside-changes';
import { clip } from '../common/redact';
import { describeIssues } from '../common/validation';

/** One app's pass reads a few Heroku lists and the trail: short. Heroku unavailable is retried for a few minutes. */
const reconciler = summarized(
  proxyActivities<OutsideChangeActivities>({
    startToCloseTimeout: '2 minutes',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 6 },
  }),
);

/**
 * Looks at each configured app (or those asked for) on Heroku and records in the audit trail every change no engine
 * record names: not a runbook — it changes nothing on Heroku, takes no lock and needs no identity. Anyone may start
 * it: the input says only which configured apps to look at, and everything recorded comes from Heroku and the trail,
 * each change under a deterministic identity, so a pass started any number of times records each change once.
 * Started every few minutes by the worker's Schedule, and by `runbook audit reconcile`.
 */
export async function reconcileOutsideChanges(input?: unknown): Promise<ReconcileOutsideChangesResult> {
  const parsed = ReconcileOutsideChangesInput.safeParse(input ?? {});
  if (!parsed.success) {
    throw ApplicationFailure.create({
      type: FailureTypes.InvalidRunbookInput,
      nonRetryable: true,
      message: clip(`Invalid input for reconcileOutsideChanges: ${describeIssues(parsed.error)}`, 2000),
    });
  }
  const targets = await reconciler.outsideChangeApps({ apps: parsed.data.apps });
  const apps: AppReconciliation[] = [];
  const failures: string[] = [];
  // One app at a time, and one app's failure does not keep the others from being looked at.
  for (const { app } of targets) {
    try {
      apps.push(await reconciler.reconcileOutsideChanges({ app }));
    } catch (err) {
      failures.push(`${app}: ${rootMessage(err)}`);
    }
  }
  const recorded = apps
    .flatMap((app) => app.recorded)
    .sort((a, b) => (a.herokuAt ?? '').localeCompare(b.herokuAt ?? ''));
  const result: ReconcileOutsideChangesResult = { apps, recorded, summary: describeReconciliation(apps) };
  if (failures.length > 0) {
    throw ApplicationFailure.create({
      type: FailureTypes.OutsideChangesIncomplete,
      nonRetryable: true,
      message: `Could not look for outside changes on ${failures.join('; ')}${apps.length ? ` (looked at the others: ${result.summary})` : ''}`,
      details: [result],
    });
  }
  return result;
}
