import { Command } from 'commander';
import { z } from 'zod';
import { flagsFor, inputFromFlags, optionFor } from '../client/schema-flags';
import { UsageError } from '../client/usage-error';
import { DisasterRecoveryInput, MaintenanceInput } from '../common/inputs';

const schema = z
  .strictObject({
    environment: z.string().optional().describe('environment'),
    backup: z.string().describe('backup name, e.g. b016'),
    dryRun: z.boolean().optional().describe('plan only'),
    timeoutMinutes: z.number().int().default(60).describe('give up after'),
    mode: z.enum(['fast', 'safe']).optional(),
    processes: z.record(z.string(), z.string()).optional().describe('process=quantity'),
    commands: z.array(z.string()).optional().describe('commands to run'),
  })
  .superRefine(() => undefined);

function parse(args: string[]): Record<string, unknown> {
  const specs = flagsFor(schema);
  // Commander's own error line would only clutter the test output; the thrown error is what is checked.
  const command = new Command('test').exitOverride().configureOutput({ writeErr: () => undefined });
  for (const spec of specs) command.addOption(optionFor(spec));
  command.parse(args, { from: 'user' });
  return inputFromFlags(specs, command.opts());
}

test('flags follow the schema: names, kinds, required-ness, choices and descriptions', () => {
  expect(flagsFor(schema)).toEqual([
    {
      field: 'environment',
      flag: '--env',
      kind: 'string',
      description: 'environment',
      required: false,
      choices: undefined,
    },
    {
      field: 'backup',
      flag: '--backup',
      kind: 'string',
      description: 'backup name, e.g. b016',
      required: true,
      choices: undefined,
    },
    {
      field: 'dryRun',
      flag: '--dry-run',
      kind: 'boolean',
      description: 'plan only',
      required: false,
      choices: undefined,
    },
    {
      field: 'timeoutMinutes',
      flag: '--timeout-minutes',
      kind: 'number',
      description: 'give up after',
      required: false,
      choices: undefined,
    },
    { field: 'mode', flag: '--mode', kind: 'string', description: 'mode', required: false, choices: ['fast', 'safe'] },
    {
      field: 'processes',
      flag: '--process',
      kind: 'map',
      description: 'process=quantity',
      required: false,
      choices: undefined,
    },
    {
      field: 'commands',
      flag: '--command',
      kind: 'list',
      description: 'commands to run',
      required: false,
      choices: undefined,
    },
  ]);
});

test('parsed flags become the input object the schema takes', () => {
  const input = parse([
    '--env',
    'production',
    '--backup',
    'b016',
    '--dry-run',
    '--timeout-minutes',
    '5',
    '--process',
    'worker=0',
    '--process',
    'scheduler=0',
    '--command',
    'a',
    '--command',
    'b',
  ]);
  expect(input).toEqual({
    environment: 'production',
    backup: 'b016',
    dryRun: true,
    timeoutMinutes: 5,
    processes: { worker: '0', scheduler: '0' },
    commands: ['a', 'b'],
  });
  expect(schema.safeParse(input).success).toBe(true);
  // Only what was given: defaults stay the schema's business.
  expect(parse(['--backup', 'latest'])).toEqual({ backup: 'latest' });
});

test('bad values are refused naming the flag', () => {
  expect(() => parse(['--mode', 'reckless'])).toThrow(/--mode.*Allowed choices are fast, safe/);
  expect(() => parse(['--process', 'worker'])).toThrow(/^--process takes KEY=value \(a name, "=", then the value\)/);
  // What was typed may be a secret (`--set pk.live…` without its key): the message never repeats it.
  for (const typed of ['worker', '=hunter2', 'pk.live-xyz']) {
    expect(() => parse(['--process', typed])).toThrow(UsageError);
    expect(() => parse(['--process', typed])).not.toThrow(typed);
  }
});

test('the maintenance runbooks take --env, --app, --wait-for-lock, --lock-wait-minutes and --reason; who runs them is proven, not a flag', () => {
  expect(flagsFor(MaintenanceInput).map((spec) => spec.flag)).toEqual([
    '--env',
    '--app',
    '--wait-for-lock',
    '--lock-wait-minutes',
    '--reason',
  ]);
});

test('a boolean whose default depends on the environment takes --x and --no-x; neither leaves it to the environment', () => {
  const specs = flagsFor(DisasterRecoveryInput);
  expect(specs.filter((spec) => spec.negatable).map((spec) => spec.flag)).toEqual(['--safety-backup', '--migrate']);
  const parseDr = (args: string[]) => {
    const command = new Command('dr').exitOverride().configureOutput({ writeErr: () => undefined });
    for (const spec of specs) {
      command.addOption(optionFor(spec));
      if (spec.negatable) command.option(`--no-${spec.flag.slice(2)}`);
    }
    command.parse(args, { from: 'user' });
    return inputFromFlags(specs, command.opts());
  };
  expect(parseDr(['--backup', 'b016', '--no-safety-backup', '--migrate'])).toEqual({
    backup: 'b016',
    safetyBackup: false,
    migrate: true,
  });
  expect(parseDr(['--backup', 'b016'])).toEqual({ backup: 'b016' });
});
