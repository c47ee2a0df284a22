// Bad input, by property (no server): every runbook's input schema and the environments file, fed known-good
// examples spoiled field by field with hostile values. Whatever comes in, the validation the workflow and the CLI
// run either takes it or refuses it with its own typed error, naming the field; it never throws anything else,
// never hangs, never echoes a megabyte back, and never touches Object.prototype.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { Command, CommanderError } from 'commander';
import fc from 'fast-check';
import { z } from 'zod';
import { flagsFor, inputFromFlags, optionFor } from '../client/schema-flags';
import { UsageError } from '../client/usage-error';
import { RunbookConfig } from '../common/environments';
import { HerokuAppName } from '../common/inputs';
import { isRunbookId, RUNBOOKS, type RunbookId } from '../common/runbooks';
import { resolveTarget, TargetError } from '../common/targets';
import { checkInput, describeIssues, describePath } from '../common/validation';
import { loadRunbookConfig, RunbookConfigFileError } from '../lib/runbook-config';
import {
  applyMutations,
  deepArrayJson,
  deepObjectJson,
  describeMutation,
  GOOD_CONFIG,
  GOOD_INPUTS,
  HOSTILE_KEYS,
  HOSTILE_STRINGS,
  HOSTILE_VALUES,
  hostileString,
  MEGABYTE,
  mutatedPath,
  mutationOf,
  objectPathsOf,
  pathsOf,
  type Mutation,
  type Path,
  GOOD_CLI_ARGS,
} from './support/hostile-inputs';

/** Fixed seeds: a failure repeats, and CI runs what ran here. */
const SEED = 20261213;
const RUNBOOK_IDS = Object.keys(RUNBOOKS) as RunbookId[];

/**
 * Runs `check` with a watchdog: a regular expression that backtracks over a megabyte would block the event loop
 * for an hour, which no jest timeout can interrupt. Linear validation of the largest input here takes milliseconds;
 * the watchdog only turns a hang into a failure that names the input.
 */
function withWatchdog<T>(what: string, check: () => T): T {
  const context = vm.createContext({ check });
  try {
    return vm.runInContext('check()', context, { timeout: 20_000 }) as T;
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw new Error(`${what}: hung`);
    throw err;
  }
}

/** A message may name a field; it must not carry a megabyte string back (into a log, a history, a terminal). */
function expectBounded(message: string, what = ''): void {
  // Twenty problems (describeIssues lists no more) of an enum with every option spelled out fit well within this.
  if (message.length > 10_000) throw new Error(`${what}: a message of ${message.length} characters`);
}

function expectPrototypeUntouched(): void {
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
}

/** Whether `field` (an issue's path) is at or inside `mutated`, or above it. */
function related(issuePath: readonly PropertyKey[], mutated: Path): boolean {
  const n = Math.min(issuePath.length, mutated.length);
  return issuePath.slice(0, n).every((key, i) => String(key) === String(mutated[i]));
}

/** The names a refusal may use for a mutated field: its path; for a runbook's target, the other half of the pair. */
function acceptableNames(mutated: Path, schemaIsRunbook: boolean): string[] {
  const names = [describePath(mutated)];
  if (schemaIsRunbook && (mutated[0] === 'app' || mutated[0] === 'environment')) names.push('environment', 'app');
  return names;
}

/**
 * The property every entry point relies on: `checkInput` (what the workflow, the CLI and the config loader run) never throws or hangs; a refusal is a ZodError
 * whose description (the message the workflow fails with, the CLI prints, the worker refuses to start with) names
 * a mutated field, blames no field that was left alone, and stays small.
 */
function checkMutated(
  schema: z.ZodType,
  good: unknown,
  mutations: Mutation[],
  options: { runbook: boolean; unknownKey?: string },
): void {
  const input = applyMutations(good, mutations);
  const what = mutations.map(describeMutation).join(', ');
  const parsed = withWatchdog(what, () => checkInput(schema, input));
  expectPrototypeUntouched();
  if (parsed.success) {
    // Taken means taken whole: a key that the parse dropped without a word (a record's "__proto__", say) was a
    // setting or a config var the run would silently not have.
    for (const kept of pathsOf(input).filter((p) => valueAt(input, p) !== undefined)) {
      if (!hasPath(parsed.data, kept)) throw new Error(`${what}: taken, but ${describePath(kept)} was dropped`);
    }
    // What a run takes is recorded and sent on: no megabyte gets through (a sealed value is the longest, < 100 KB).
    // The environments file is the operators' own: its sizes are theirs to choose.
    if (!options.runbook) return;
    const longest = pathsOf(parsed.data).reduce((max, p) => {
      const item = valueAt(parsed.data, p);
      return Math.max(max, typeof item === 'string' ? item.length : 0, String(p.at(-1)).length);
    }, 0);
    if (longest > 100_000) throw new Error(`${what}: taken, with a string of ${longest} characters`);
    return;
  }
  expect(parsed.error).toBeInstanceOf(z.ZodError);
  const message = withWatchdog(what, () => describeIssues(parsed.error, options.unknownKey));
  expectBounded(message, what);
  const mutatedPaths = mutations.map(mutatedPath);
  // The whole input replaced by something else is the input's problem, wherever zod puts it.
  if (mutatedPaths.some((p) => p.length === 0)) return;
  for (const issue of parsed.error.issues) {
    const issuePaths =
      issue.code === 'unrecognized_keys' ? issue.keys.map((key) => [...issue.path, key]) : [issue.path];
    for (const issuePath of issuePaths) {
      const blamed = mutatedPaths.some(
        (mutated) =>
          related(issuePath, mutated) ||
          (options.runbook && ['app', 'environment'].includes(String(mutated[0])) && issuePath[0] === 'environment'),
      );
      if (!blamed) throw new Error(`${what}: refused ${describePath(issuePath)}, which was not touched: ${message}`);
    }
  }
  const named = mutatedPaths.some((mutated) =>
    acceptableNames(mutated, options.runbook).some((name) =>
      // A field refused as a whole (an object where a string goes) names the field itself, not its insides.
      [name, ...prefixesOf(mutated).map(describePath)].some((candidate) => message.includes(candidate)),
    ),
  );
  if (!named) throw new Error(`${what}: the refusal names no mutated field: ${message}`);
}

function valueAt(value: unknown, at: Path): unknown {
  return at.reduce<unknown>((node, key) => (node as Record<string, unknown>)?.[key], value);
}

function hasPath(value: unknown, at: Path): boolean {
  let node = value;
  for (const key of at) {
    if (!node || typeof node !== 'object' || !Object.prototype.hasOwnProperty.call(node, key)) return false;
    node = (node as Record<string, unknown>)[key];
  }
  return true;
}

function prefixesOf(p: Path): Path[] {
  return p.map((_, i) => p.slice(0, i + 1));
}

describe('every runbook input schema', () => {
  test('the known-good examples are good (else the properties below prove nothing)', () => {
    for (const id of RUNBOOK_IDS) {
      for (const good of GOOD_INPUTS[id])
        expect({ id, ...RUNBOOKS[id].input.safeParse(good) }).toMatchObject({ id, success: true });
    }
  });

  test.each(RUNBOOK_IDS)(
    '%s: each field, replaced by each hostile value, deleted or padded: taken, or refused naming it',
    (id) => {
      const schema = RUNBOOKS[id].input;
      for (const good of GOOD_INPUTS[id]) {
        for (const where of [[], ...pathsOf(good)]) {
          for (const hostile of HOSTILE_VALUES)
            checkMutated(schema, good, [{ kind: 'replace', path: where, hostile }], { runbook: true });
          checkMutated(schema, good, [{ kind: 'delete', path: where }], { runbook: true });
          if (where.length) checkMutated(schema, good, [{ kind: 'pad', path: where }], { runbook: true });
        }
        for (const where of objectPathsOf(good)) {
          for (const key of HOSTILE_KEYS)
            checkMutated(schema, good, [{ kind: 'extra-key', path: where, key, hostile: HOSTILE_STRINGS[0] }], {
              runbook: true,
            });
        }
      }
    },
  );

  test('any two or three spoiled fields of any runbook: refused naming one of them, blaming no other', () => {
    const runbookAndMutations = fc
      .constantFrom(...RUNBOOK_IDS)
      .chain((id) =>
        fc
          .nat(GOOD_INPUTS[id].length - 1)
          .chain((index) =>
            fc.tuple(
              fc.constant(id),
              fc.constant(index),
              fc.array(mutationOf(GOOD_INPUTS[id][index]), { minLength: 1, maxLength: 3 }),
            ),
          ),
      );
    fc.assert(
      fc.property(runbookAndMutations, ([id, index, mutations]) =>
        checkMutated(RUNBOOKS[id].input, GOOD_INPUTS[id][index], mutations, { runbook: true }),
      ),
      { seed: SEED, numRuns: 400 },
    );
  });

  test('from the command line: hostile flag values are refused naming the flag (or by commander), nothing else is thrown', () => {
    const argv = fc.constantFrom(...RUNBOOK_IDS).chain((id) => {
      const specs = flagsFor(RUNBOOKS[id].input);
      const flag = fc.constantFrom(...specs.map((spec) => spec.flag));
      // What a shell can pass: no NUL, at most 128 KB per argument (Linux's MAX_ARG_STRLEN).
      const value = hostileString().filter((hostile) => {
        const text = String(hostile.value);
        return !text.includes('\u0000') && text.length < 128 * 1024;
      });
      return fc.tuple(fc.constant(id), fc.array(fc.tuple(flag, value), { minLength: 1, maxLength: 4 }));
    });
    fc.assert(
      fc.property(argv, ([id, pairs]) => {
        const schema = RUNBOOKS[id].input;
        const specs = flagsFor(schema);
        const command = new Command(id).exitOverride().configureOutput({ writeErr: () => undefined });
        for (const spec of specs) command.addOption(optionFor(spec));
        const args = [...GOOD_CLI_ARGS[id], ...pairs.flatMap(([flag, value]) => [flag, String(value.value)])];
        let input: Record<string, unknown>;
        try {
          command.parse(args, { from: 'user' });
          input = inputFromFlags(specs, command.opts());
        } catch (err) {
          // Commander's own refusals (an unknown choice, a missing value) and the map flags' KEY=value: exit 2.
          if (err instanceof CommanderError || err instanceof UsageError) return;
          throw err;
        }
        const parsed = withWatchdog(args.join(' ').slice(0, 200), () => checkInput(schema, input));
        if (parsed.success) return;
        // The CLI names a refused field by its flag (client/commands/run.ts): every refused field has one.
        for (const issue of parsed.error.issues) {
          expect(specs.map((spec) => spec.field)).toContain(String(issue.path[0]));
          expectBounded(issue.message);
        }
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});

describe('the environments file', () => {
  const unknownKey = 'not a setting of the environments file';

  test('the known-good files are good', () => {
    expect(RunbookConfig.safeParse(GOOD_CONFIG).success).toBe(true);
  });

  test('each setting, replaced by each hostile value, deleted or padded: taken, or refused naming it', () => {
    for (const where of [[], ...pathsOf(GOOD_CONFIG)]) {
      for (const hostile of HOSTILE_VALUES)
        checkMutated(RunbookConfig, GOOD_CONFIG, [{ kind: 'replace', path: where, hostile }], {
          runbook: false,
          unknownKey,
        });
      checkMutated(RunbookConfig, GOOD_CONFIG, [{ kind: 'delete', path: where }], { runbook: false, unknownKey });
      if (where.length)
        checkMutated(RunbookConfig, GOOD_CONFIG, [{ kind: 'pad', path: where }], { runbook: false, unknownKey });
    }
    for (const where of objectPathsOf(GOOD_CONFIG)) {
      for (const key of HOSTILE_KEYS)
        checkMutated(
          RunbookConfig,
          GOOD_CONFIG,
          [{ kind: 'extra-key', path: where, key, hostile: HOSTILE_STRINGS[0] }],
          {
            runbook: false,
            unknownKey,
          },
        );
    }
  });

  test('any few spoiled settings: refused naming one of them, blaming no other', () => {
    fc.assert(
      fc.property(fc.array(mutationOf(GOOD_CONFIG), { minLength: 1, maxLength: 3 }), (mutations) =>
        checkMutated(RunbookConfig, GOOD_CONFIG, mutations, { runbook: false, unknownKey }),
      ),
      { seed: SEED, numRuns: 300 },
    );
  });

  test('as the worker loads it: any file is a config or a RunbookConfigFileError naming the setting', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fuzz-config-'));
    const file = path.join(dir, 'environments.json');
    const load = (text: string) => {
      writeFileSync(file, text);
      try {
        return withWatchdog(text.slice(0, 100), () => loadRunbookConfig(file));
      } catch (err) {
        expect(err).toBeInstanceOf(RunbookConfigFileError);
        expectBounded((err as Error).message);
        return err as RunbookConfigFileError;
      }
    };
    try {
      const good = JSON.stringify(GOOD_CONFIG);
      for (const text of [
        '',
        'null',
        '[]',
        '"environments"',
        good.slice(0, -1),
        `\ufeff${good}`,
        deepArrayJson(100_000),
        deepObjectJson(100_000),
        `{"environments": ${deepObjectJson(5_000)}}`,
        `{"environments": {}, "${'k'.repeat(MEGABYTE)}": 1}`,
      ])
        expect(load(text)).toBeInstanceOf(RunbookConfigFileError);
      fc.assert(
        fc.property(fc.array(mutationOf(GOOD_CONFIG, { json: true }), { minLength: 1, maxLength: 2 }), (mutations) => {
          const loaded = load(JSON.stringify(applyMutations(GOOD_CONFIG, mutations)));
          if (loaded instanceof RunbookConfigFileError) {
            expect(loaded.message).toMatch(/^Invalid runbook config /);
            const named = mutations.some((mutation) =>
              prefixesOf(mutatedPath(mutation)).some((p) => loaded.message.includes(describePath(p))),
            );
            expect({ mutations: mutations.map(describeMutation), named }).toMatchObject({ named: true });
          }
        }),
        { seed: SEED, numRuns: 60 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a run's first step resolves any environment or app the schema takes: a target, or a TargetError", () => {
    const config = RunbookConfig.parse(GOOD_CONFIG);
    const names = fc.oneof(
      fc.constantFrom('production', 'staging', 'constructor', 'prototype', 'tostring', 'valueof', 'hasownproperty'),
      fc.stringMatching(/^[a-z][a-z0-9_-]{0,12}$/),
    );
    fc.assert(
      fc.property(
        fc.option(names, { nil: undefined }),
        fc.option(fc.constantFrom('csis-reconasia-alfa', 'csis-reconasia-bravo', 'constructor-app'), {
          nil: undefined,
        }),
        (environment, app) => {
          let target;
          try {
            target = resolveTarget(config, 'fuzz config', { environment, app });
          } catch (err) {
            expect(err).toBeInstanceOf(TargetError);
            return;
          }
          expect(HerokuAppName.safeParse(target.app).success).toBe(true);
          expect(target.access.change).toBeDefined();
          expect(target.maintenance.strategy).toBeDefined();
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });
});

test('a runbook name from the command line or the UI is a runbook, or not: never a prototype key', () => {
  for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'maintenance-on\n'])
    expect(isRunbookId(name)).toBe(false);
});
