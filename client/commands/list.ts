import { Command } from 'commander';
import { RUNBOOKS } from '../../common/runbooks';

export function listCommand(): Command {
  return new Command('list')
    .description('list the runbooks this tool can run')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) => {
      const rows = Object.entries(RUNBOOKS).map(([name, definition]) => ({
        name,
        workflowType: definition.workflowType,
        mutating: definition.mutating,
        summary: definition.summary,
      }));
      if (options.json) {
        console.log(JSON.stringify(rows, null, 2));
        return;
      }
      const width = Math.max(...rows.map((row) => row.name.length));
      for (const row of rows) console.log(`${row.name.padEnd(width)}  ${row.summary}`);
    });
}
