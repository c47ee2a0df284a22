// Workflow IDs reach places that were never meant for input: one-off dyno commands (as markers), log lines, the
// UI's links. Temporal takes almost any string; runbooks take only IDs that cannot break out of those places.

/** Why a workflow ID cannot be a runbook run's ID, or null when it can. */
export function workflowIdProblem(workflowId: string, lockPrefix?: string): string | null {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(workflowId)) {
    return 'contains control characters (a newline, a tab, …): use letters, digits and punctuation';
  }
  if (workflowId.trim() !== workflowId || workflowId === '') return 'is empty or starts or ends with a space';
  if (workflowId.length > 400) return `is ${workflowId.length} characters long: at most 400`;
  if (workflowId.startsWith(OUTSIDE_CHANGES_ID_PREFIX)) {
    return `starts with "${OUTSIDE_CHANGES_ID_PREFIX}", which the audit trail keeps for changes made outside the engine`;
  }
  if (lockPrefix !== undefined && workflowId.startsWith(`${lockPrefix}.`)) {
    return `starts with "${lockPrefix}.", which is reserved for the app locks' workflow IDs`;
  }
  return null;
}

/** The audit trail's workflow ID for the changes made to an app outside the engine: no run may take it. */
export const OUTSIDE_CHANGES_ID_PREFIX = 'outside-changes:';

/** The default prefix of the app locks' workflow IDs (`lockPrefix` in the environments file). */
export const DEFAULT_LOCK_PREFIX = 'app-lock';
