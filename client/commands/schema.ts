import { Command } from 'commander';
import { inputJsonSchema } from '../runbook-reference';
import { runbookOrUsageError } from './describe';

/** `runbook schema <runbook>`: the input's JSON Schema, from the zod schema the CLI and the workflow check it with. */
export function schemaCommand(): Command {
  return new Command('schema')
    .description("print a runbook's input as JSON Schema (draft 2020-12): what the Temporal UI's Input takes")
    .argument('<runbook>', 'a runbook (`runbook list`), or its workflow type (maintenanceOn)')
    .action((typed: string) => {
      console.log(JSON.stringify(inputJsonSchema(runbookOrUsageError(typed)), null, 2));
    });
}
