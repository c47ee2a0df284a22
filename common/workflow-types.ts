// The workflow types the worker registers, and the closest one to a type it does not: a run started from the
// Temporal UI with a typo, or with the CLI's name (`maintenance-on` for `maintenanceOn`), fails at once saying
// which type was meant (workflows/unknown-type.ts) instead of staying "Running" with nobody to run it.
import { RUNBOOKS } from './runbooks';
import { editDistance } from './edit-distance';

/** The workflows that are not runbooks (workflows/index.ts exports them too; test/unknown-workflow-type.test.ts checks). */
export const OTHER_WORKFLOW_TYPES = ['appLock', 'reconcileOutsideChanges'] as const;

export const RUNBOOK_WORKFLOW_TYPES: readonly string[] = Object.values(RUNBOOKS).map((r) => r.workflowType);

export const REGISTERED_WORKFLOW_TYPES: readonly string[] = [...RUNBOOK_WORKFLOW_TYPES, ...OTHER_WORKFLOW_TYPES];

/** The registered type an unknown one most likely meant: its CLI name, the same letters, or the nearest by edits. */
export function closestWorkflowType(
  unknown: string,
  known: readonly string[] = REGISTERED_WORKFLOW_TYPES,
): string | null {
  const byCliName = (RUNBOOKS as Record<string, { workflowType: string } | undefined>)[unknown.trim()];
  if (byCliName) return byCliName.workflowType;
  const wanted = normalize(unknown);
  const same = known.find((type) => normalize(type) === wanted);
  if (same) return same;
  let best: { type: string; distance: number } | null = null;
  for (const type of known) {
    const distance = editDistance(wanted, normalize(type));
    if (!best || distance < best.distance) best = { type, distance };
  }
  // Far from everything: no guess is better than a wrong one.
  return best && best.distance <= Math.max(3, Math.floor(wanted.length / 3)) ? best.type : null;
}

/** The failure message for a type the worker does not register. */
export function unknownWorkflowTypeMessage(
  unknown: string,
  known: readonly string[] = REGISTERED_WORKFLOW_TYPES,
): string {
  const closest = closestWorkflowType(unknown, known);
  const shown = JSON.stringify(unknown.length > 100 ? `${unknown.slice(0, 100)}…` : unknown);
  return [
    `No workflow type ${shown} on this worker${closest ? `: did you mean ${closest}?` : '.'}`,
    `The runbooks' types: ${RUNBOOK_WORKFLOW_TYPES.filter((t) => known.includes(t)).join(', ')}.`,
    'Nothing was called. Start it again with the right Workflow Type (`runbook describe <runbook>` and the README list them).',
  ].join(' ');
}

function normalize(type: string): string {
  return type.toLowerCase().replace(/[^a-z0-9]/g, '');
}
