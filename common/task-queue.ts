/** The task queue runbook workers poll unless RUNBOOK_TASK_QUEUE / --task-queue says otherwise. */
export const DEFAULT_TASK_QUEUE = 'heroku-runbooks';
