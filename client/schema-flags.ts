import { Option } from 'commander';
import { z } from 'zod';
import { UsageError } from './usage-error';

// Command-line flags derived from a runbook's zod input schema, so the CLI and the Temporal UI take exactly the
// same inputs and a new runbook field is a new flag with no CLI change.

export type FlagKind = 'string' | 'number' | 'boolean' | 'list' | 'map';

export interface FlagSpec {
  /** The input field ("environment"). */
  field: string;
  /** The flag as typed ("--env"). */
  flag: string;
  kind: FlagKind;
  description: string;
  required: boolean;
  choices?: string[];
  /** A boolean whose default depends on the environment also gets `--no-<flag>` (schema metadata `negatable`). */
  negatable?: boolean;
}

/** Shorter flags for fields every runbook shares: `--env staging` reads better than `--environment staging`. */
const FLAG_NAMES: Record<string, string> = { environment: 'env' };
/** What a flag's value is, in its help line. */
const PLACEHOLDERS: Record<string, string> = {
  environment: '<name>',
  app: '<name>',
  operator: '<name>',
  reason: '<text>',
};
/** Repeatable flags read best singular: `--process worker=0 --process web=2`. */
const SINGULAR: Record<string, string> = {
  processes: 'process',
  configVars: 'config-var',
  keys: 'key',
  commands: 'command',
};

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

interface ZodLike {
  description?: string;
  options?: string[];
  _zod: { def: { type: string; innerType?: ZodLike; in?: ZodLike } };
}

/** Looks through optional/default/nullable wrappers to the type the flag carries. */
function unwrap(schema: ZodLike): { inner: ZodLike; optional: boolean; description?: string } {
  let current = schema;
  let optional = false;
  let description = schema.description;
  for (;;) {
    const { type, innerType, in: input } = current._zod.def;
    if ((type === 'optional' || type === 'default' || type === 'prefault' || type === 'nullable') && innerType) {
      optional = true;
      current = innerType;
    } else if (type === 'pipe' && input) {
      current = input;
    } else break;
    description ??= current.description;
  }
  return { inner: current, optional, description };
}

const NOT_FLAGS = ['proof', 'operator'];

export function flagsFor(schema: z.ZodType): FlagSpec[] {
  const shape = (schema as unknown as { shape?: Record<string, ZodLike> }).shape;
  if (!shape) throw new Error('a runbook input schema must be an object');
  // Nested objects (advanced settings such as `timing`) are for the API and the UI, not flags. Who runs it is not a
  // flag either: the CLI proves it with the user's Heroku login (`proof`), so a typed `operator` would only mislead.
  const flaggable = Object.entries(shape).filter(
    ([field, fieldSchema]) => !NOT_FLAGS.includes(field) && unwrap(fieldSchema).inner._zod.def.type !== 'object',
  );
  return flaggable.map(([field, fieldSchema]) => {
    const { inner, optional, description } = unwrap(fieldSchema);
    const type = inner._zod.def.type;
    const kind: FlagKind =
      type === 'number' || type === 'int'
        ? 'number'
        : type === 'boolean'
          ? 'boolean'
          : type === 'array'
            ? 'list'
            : type === 'record'
              ? 'map'
              : 'string';
    const name =
      FLAG_NAMES[field] ?? (kind === 'list' || kind === 'map' ? (SINGULAR[field] ?? kebab(field)) : kebab(field));
    return {
      field,
      flag: `--${name}`,
      kind,
      description: description ?? field,
      required: !optional,
      choices: type === 'enum' ? inner.options : undefined,
      ...(kind === 'boolean' &&
        (z.globalRegistry.get(fieldSchema as unknown as z.ZodType) as { negatable?: boolean } | undefined)
          ?.negatable && { negatable: true }),
    };
  });
}

/** The commander option for a flag; values are parsed into what the schema expects. */
export function optionFor(spec: FlagSpec): Option {
  const placeholder =
    spec.kind === 'boolean' ? '' : spec.kind === 'map' ? '<key=value>' : (PLACEHOLDERS[spec.field] ?? '<value>');
  const option = new Option(`${spec.flag}${placeholder ? ` ${placeholder}` : ''}`, spec.description);
  if (spec.choices) option.choices(spec.choices);
  if (spec.kind === 'list') option.argParser((value: string, previous: string[] = []) => [...previous, value]);
  if (spec.kind === 'map')
    option.argParser((value: string, previous: Record<string, string> = {}) => addPair(spec.flag, value, previous));
  if (spec.kind === 'number') option.argParser((value: string) => (value.trim() === '' ? NaN : Number(value)));
  return option;
}

/**
 * One `KEY=value` of a map flag. A malformed one is a usage error (exit 2) that never repeats what was typed: after
 * `--set` it may be a secret (`--set pk.live…` forgot the key), and stderr ends up in terminals' scrollback and CI
 * logs. Not commander's InvalidArgumentError: commander would print the value in its own message.
 */
function addPair(flag: string, value: string, previous: Record<string, string>): Record<string, string> {
  const at = value.indexOf('=');
  if (at <= 0) {
    throw new UsageError(
      `${flag} takes KEY=value (a name, "=", then the value)${at === 0 ? ', and the name is missing' : ', and no "=" was given'}; ` +
        `what followed ${flag} is not repeated here, as it may be a secret.`,
    );
  }
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

/** The commander attribute name of a flag (`--dry-run` → `dryRun`). */
export function attributeOf(spec: FlagSpec): string {
  return spec.flag.slice(2).replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

/** Builds the input object from parsed flags: only what was given, under the schema's field names. */
export function inputFromFlags(specs: FlagSpec[], values: Record<string, unknown>): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const spec of specs) {
    const value = values[attributeOf(spec)];
    if (value !== undefined) input[spec.field] = value;
  }
  return input;
}
