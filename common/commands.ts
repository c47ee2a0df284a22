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

/** What runbooks append to a one-off's command so that a retry can recognise the dyno its step started. */
export function commandMarker(workflowId: string, step: string): string {
  return `# heroku-runbooks:${workflowId}:${step}`;
}

/** Django/Haystack's index rebuild, non-interactive (a detached dyno has no one to answer its "are you sure?"). */
export const REBUILD_INDEX_COMMAND = 'python manage.py rebuild_index --noinput';
