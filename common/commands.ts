/** A one-off command's dyno as runbooks report it. */
export interface DynoRun {
  /** run.1234 */
  name: string;
  command: string;
  /** Heroku's dyno state while it runs; 'exited' once it is gone. */
  state: string;
  /** The command's exit status, from the platform's "Process exited with status N" log line; null until then. */
  exitStatus: number | null;
  /** The dyno's last log lines (its output and the platform's lines about it). */
  lastLines: string[];
}

export interface RunCommandResult {
  runbook: 'run-command' | 'rebuild-search-index';
  app: string;
  environment: string | null;
  command: string;
  dyno: DynoRun;
  operator: string;
  summary: string;
}

/**
 * What runbooks append to a one-off's command so that a retry can recognise the dyno its step started: the run
 * (workflow ID and run ID, so a re-used workflow ID starts its own dyno) and the step. The dyno's shell reads the
 * command, so the marker holds only characters no shell interprets: anything else is percent-encoded.
 */
export function commandMarker(workflowId: string, runId: string, step: string): string {
  return `# heroku-runbooks:${shellInert(workflowId)}:${shellInert(runId)}:${shellInert(step)}`;
}

function shellInert(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Django/Haystack's index rebuild, non-interactive (a detached dyno has no one to answer its "are you sure?"). */
export const REBUILD_INDEX_COMMAND = 'python manage.py rebuild_index --noinput';

/** Whether a dyno's command (or a log line quoting it) carries exactly this marker, not a longer one it begins. */
export function carriesMarker(text: string, marker: string): boolean {
  for (let at = text.indexOf(marker); at >= 0; at = text.indexOf(marker, at + 1)) {
    if (!/[A-Za-z0-9._%-]/.test(text.charAt(at + marker.length))) return true;
  }
  return false;
}
