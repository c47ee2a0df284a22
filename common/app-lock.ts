/** Who holds an app's lock: what a refused launch is told, and what `runbook status` shows. */
export interface LockHolder {
  app: string;
  runbook: string;
  operator: string;
  workflowId: string;
  runId: string;
  /** When the holder's run started (ISO 8601). */
  startedAt: string;
}

export function describeHolder(holder: LockHolder): string {
  return `${holder.runbook} (${holder.workflowId}), started by ${holder.operator} at ${holder.startedAt}`;
}

/** The refusal a second launch gets: who is changing the app, and how to follow or queue behind it. */
export function lockedMessage(app: string, holder: LockHolder | null): string {
  const who = holder ? `${describeHolder(holder)} is changing ${app}` : `another runbook is changing ${app}`;
  const watch = holder ? ` Watch it: \`runbook status ${holder.workflowId}\`.` : '';
  return `${who}; only one changing runbook runs on an app at a time, so this one did not start and changed nothing.${watch} To queue behind it instead, launch with --wait-for-lock.`;
}

/** The holder's "I am done", naming itself: a release naming any other run is ignored (and recorded). */
export interface LockRelease {
  workflowId: string;
  runId: string;
}

/** How a lock workflow ended: released by its holder, or at once, holding nothing (not a runbook's child). */
export type LockEnd = { held: true; releasedAt: string } | { held: false; why: string };
