import { Command } from 'commander';
import type { AuditEntry } from '../../common/audit';
import { READ_ALL } from '../read-history';
import { groupByRun, summarizeRun, type RunSummary } from '../run-summary';
import { formatShow, leftStateOf, timelineOf } from '../run-timeline';

/** The runs of a workflow ID on the record, latest first (by start; a run without a start, by its last record). */
function runsOf(entries: readonly AuditEntry[]): { summary: RunSummary | null; entries: AuditEntry[]; at: string }[] {
  return [...groupByRun(entries).values()]
    .map((run) => {
      const summary = summarizeRun(run);
      return { summary, entries: run, at: summary?.startedAt ?? run[run.length - 1].at };
    })
    .sort((a, b) => b.at.localeCompare(a.at));
}

/**
 * `runbook show <workflow-id>`: one run's timeline from the audit trail (read-only) — each record with its time,
 * each change with what it made on Heroku (release, backup, restore, dyno and exit status, Request-Id), approvals and
 * refusals with who sent them, compensation, and how the app was left. No Temporal needed.
 */
export function showCommand(): Command {
  return new Command('show')
    .description("a run's timeline from the audit trail, with its Heroku artefacts (the latest run unless --run-id)")
    .argument('<workflow-id>')
    .option('--run-id <id>', 'a particular run of that workflow ID')
    .option('--json', 'print JSON')
    .action(async (workflowId: string, flags: { runId?: string; json?: boolean }) => {
      const { openAuditLog } = await import('../../lib/audit/open-audit-log');
      const log = openAuditLog(undefined, { readOnly: true });
      try {
        const runs = runsOf(await log.query({ workflowId, limit: READ_ALL }));
        if (runs.length === 0)
          throw new Error(`Nothing is recorded under workflow ID ${workflowId} (audit log: ${log.location}).`);
        const chosen = flags.runId ? runs.find((run) => run.entries[0].runId === flags.runId) : runs[0];
        if (!chosen) {
          const known = runs.map((run) => run.entries[0].runId).join(', ');
          throw new Error(`Run ${flags.runId} of ${workflowId} is not on the record; its runs there: ${known}.`);
        }
        const { summary } = chosen;
        if (!summary) {
          throw new Error(
            `The trail holds records of ${workflowId} (run ${chosen.entries[0].runId}) but no start: it is not a runbook run (an app lock's notice?). See \`runbook audit --workflow-id ${workflowId}\`.`,
          );
        }
        const others = runs
          .filter((run) => run !== chosen)
          .map((run) => run.summary)
          .filter((other): other is RunSummary => other !== null);
        const timeline = timelineOf(chosen.entries);
        if (flags.json) {
          console.log(
            JSON.stringify({ ...summary, left: leftStateOf(summary, timeline), otherRuns: others, timeline }, null, 2),
          );
        } else console.log(formatShow(summary, timeline, flags.runId ? [] : others, log.location));
      } finally {
        await log.close();
      }
    });
}
