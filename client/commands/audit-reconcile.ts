import { Command } from 'commander';
import type { ReconcileOutsideChangesResult } from '../../common/outside-changes';
import { UsageError } from '../usage-error';

interface ReconcileFlags {
  app?: string[];
  json?: boolean;
  taskQueue?: string;
}

/**
 * `runbook audit reconcile`: looks on Heroku for changes the engine did not make and has the worker record them in
 * the audit trail (the worker alone writes the trail), printing what it recorded this time. The same pass the
 * worker's Schedule runs every few minutes, started now.
 */
export function auditReconcileCommand(): Command {
  return new Command('reconcile')
    .description(
      'look on Heroku for changes made outside the engine (by hand, the dashboard, a deploy) and record them in the trail now',
    )
    .option(
      '--app <name>',
      'only this configured app (repeatable; default: every app of the environments file)',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--json', 'print the result as JSON')
    .option('--task-queue <name>', 'task queue of the workers (default: RUNBOOK_TASK_QUEUE, else heroku-runbooks)')
    .action(async (flags: ReconcileFlags) => {
      const { WorkflowFailedError } = await import('@temporalio/client');
      const { ApplicationFailure } = await import('@temporalio/common');
      const { causeChain, FailureTypes } = await import('../../common/errors');
      const { RECONCILE_OUTSIDE_CHANGES_WORKFLOW, ReconcileOutsideChangesInput } =
        await import('../../common/outside-changes');
      const { describeIssues } = await import('../../common/validation');
      const { temporalSettingsFromEnv, workflowUrl } = await import('../../lib/temporal-settings');
      const { connectClient } = await import('../connection');
      const { defaultWorkflowId } = await import('../launch');
      const { hasWorkflowPollers } = await import('../pollers');
      const parsed = ReconcileOutsideChangesInput.safeParse(flags.app ? { apps: flags.app } : {});
      if (!parsed.success) throw new UsageError(`Invalid --app: ${describeIssues(parsed.error)}`);
      const settings = temporalSettingsFromEnv();
      const taskQueue = flags.taskQueue ?? settings.taskQueue;
      const client = await connectClient(settings);
      const handle = await client.workflow.start(RECONCILE_OUTSIDE_CHANGES_WORKFLOW, {
        args: [parsed.data],
        taskQueue,
        workflowId: defaultWorkflowId('audit-reconcile', flags.app?.join('+') ?? 'all'),
        staticSummary: `look for outside changes on ${flags.app?.join(', ') ?? 'every configured app'}`,
      });
      const link = workflowUrl(settings, handle.workflowId, handle.firstExecutionRunId);
      if (!(await hasWorkflowPollers(client, taskQueue))) {
        console.error(
          `Warning: no worker is polling task queue "${taskQueue}". The pass waits until one starts (\`runbook worker\`).`,
        );
      }
      let result: ReconcileOutsideChangesResult;
      try {
        result = await handle.result();
      } catch (err) {
        if (!(err instanceof WorkflowFailedError)) throw err;
        const root = (causeChain(err.cause).at(-1) ?? err.cause) as { message?: string; type?: string } | undefined;
        const message = root?.message || err.message;
        if (root instanceof ApplicationFailure && root.type === FailureTypes.InvalidRunbookInput) {
          throw new UsageError(message);
        }
        throw new Error(`${message} (${link})`);
      }
      if (flags.json) {
        console.log(JSON.stringify({ workflowId: handle.workflowId, ...result, url: link }, null, 2));
        return;
      }
      for (const app of result.apps) {
        if (app.deferred) console.error(`${app.app}: not looked at this time: ${app.deferred}`);
      }
      if (result.recorded.length === 0) {
        const known = result.apps.reduce((sum, app) => sum + app.alreadyRecorded, 0);
        console.log(
          known
            ? `no new outside changes (${known} already on record: \`runbook audit --runbook outside-change\`)`
            : 'no outside changes',
        );
        return;
      }
      for (const change of result.recorded) console.log(`${change.app}  ${change.summary}`);
    });
}
