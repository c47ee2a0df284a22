import { Command } from 'commander';
import { RUNBOOKS, type RunbookId } from '../../common/runbooks';
import { DEFAULT_TASK_QUEUE } from '../../common/task-queue';
import { closestRunbook, findRunbook, inputFields, runbookSteps, uiExample } from '../runbook-reference';
import { UsageError } from '../usage-error';

/** `runbook describe <runbook>`: what it does, its steps and inputs, and how to start it from the Temporal UI. */
export function describeCommand(): Command {
  return new Command('describe')
    .description("a runbook's purpose, steps and inputs, and what to type in the Temporal UI's Start Workflow form")
    .argument('<runbook>', 'a runbook (`runbook list`), or its workflow type (maintenanceOn)')
    .option('--json', 'print JSON')
    .action((typed: string, flags: { json?: boolean }) => {
      const name = runbookOrUsageError(typed);
      const reference = describeRunbook(name);
      console.log(flags.json ? JSON.stringify(reference, null, 2) : formatDescription(reference));
    });
}

/** A runbook named as typed, or a usage error naming the closest one. Shared with `runbook schema`. */
export function runbookOrUsageError(typed: string): RunbookId {
  const name = findRunbook(typed);
  if (name) return name;
  throw new UsageError(
    `Unknown runbook "${typed}": did you mean ${closestRunbook(typed)}? Runbooks: ${Object.keys(RUNBOOKS).join(', ')}.`,
  );
}

function describeRunbook(name: RunbookId) {
  const definition = RUNBOOKS[name];
  return {
    runbook: name,
    summary: definition.summary,
    workflowType: definition.workflowType,
    // The workers' queue as this shell would start them; the UI needs the same name typed in.
    taskQueue: process.env.RUNBOOK_TASK_QUEUE || DEFAULT_TASK_QUEUE,
    mutating: definition.mutating,
    steps: runbookSteps(name),
    inputs: inputFields(name),
    example: uiExample(name),
  };
}

function formatDescription(reference: ReturnType<typeof describeRunbook>): string {
  const { runbook: name } = reference;
  const definition = RUNBOOKS[name];
  const kind = definition.mutating
    ? "Changes the app: it first takes the app's lock (one changing runbook per app at a time)."
    : 'Read-only: it changes nothing and takes no lock.';
  const approval =
    'approvalPoint' in definition && definition.approvalPoint
      ? ' Where the environment needs a second person, it waits for approval once its plan is known (`runbook approve`).'
      : '';
  const width = Math.max(...reference.steps.map((step) => step.name.length));
  const rows = reference.inputs.map((input) => [
    input.field,
    input.type,
    input.required ? 'yes' : input.field === 'environment' || input.field === 'app' ? 'one of' : 'no',
    input.default === undefined ? '' : String(input.default),
    input.description,
  ]);
  return [
    `${name}: ${reference.summary}`,
    `  ${kind}${approval}`,
    '',
    'Steps (as `runbook run`, `runbook watch` and the progress query list them; some are skipped when there is nothing to do):',
    ...reference.steps.map((step, i) => `  ${String(i + 1).padStart(2)}. ${step.name.padEnd(width)}  ${step.title}`),
    '',
    'Inputs (give environment or app, or both if they agree; the CLI takes them as flags: `runbook run ' +
      name +
      ' --help`):',
    ...table(['field', 'type', 'required', 'default', 'description'], rows).map((line) => `  ${line}`),
    '',
    'From the Temporal UI: Start Workflow, then',
    `  Workflow Type  ${reference.workflowType}`,
    `  Task Queue     ${reference.taskQueue}`,
    '  Input          json/plain, one object:',
    `    ${JSON.stringify(reference.example)}`,
    '  There "operator" is only a claim: the run is recorded as unverified (claims: …), and where the rules need a',
    "  verified requester, verified people approve it first. The input's JSON Schema: `runbook schema " + name + '`.',
  ].join('\n');
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column])))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}
