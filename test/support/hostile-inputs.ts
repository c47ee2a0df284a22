import fc from 'fast-check';
import type { RunbookInput } from '../../client/launch';
import type { RunbookConfigFile } from '../../common/environments';
import type { RunbookId } from '../../common/runbooks';

// What anyone with a keyboard can send a runbook: through the CLI's flags, `temporal workflow start --input`, the
// UI's Start Workflow form, an Update or a Signal. Property tests mutate known-good inputs with these.

export const MEGABYTE = 1 << 20;

/**
 * A hostile value, printed by its label: a failing property shows which value broke it without dumping a
 * megabyte string (or a 5000-deep object) into the test log. Made on first use, then shared.
 */
export class Hostile {
  private made = false;
  private cached: unknown;

  constructor(
    readonly label: string,
    private readonly make: () => unknown,
    /** JSON can carry it (NaN, Infinity and undefined it cannot: only in-process callers send those). */
    readonly json = true,
  ) {}

  get value(): unknown {
    if (!this.made) {
      this.cached = this.make();
      this.made = true;
    }
    return this.cached;
  }

  [fc.toStringMethod](): string {
    return this.label;
  }

  toString(): string {
    return this.label;
  }
}

const h = (label: string, value: unknown, json = true) => new Hostile(label, () => value, json);

/** `depth` arrays in arrays, as the JSON text and as the value. */
export function deepArrayJson(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

export function deepObjectJson(depth: number): string {
  return `${'{"a":'.repeat(depth)}{}${'}'.repeat(depth)}`;
}

/** Strings that break out of where they were meant to go: paths, URLs, headers, shells, logs, terminals. */
export const HOSTILE_STRINGS: Hostile[] = [
  h('"../../etc/passwd"', '../../etc/passwd'),
  h('".."', '..'),
  h('"a/b"', 'a/b'),
  h('"a%2Fb"', 'a%2Fb'),
  h('"%2e%2e%2f"', '%2e%2e%2f'),
  h('"staging\\nproduction"', 'staging\nproduction'),
  h('"x\\r\\nX-Injected: 1"', 'x\r\nX-Injected: 1'),
  h('"staging\\u0000"', 'staging\u0000'),
  h('"\\u001b[31mred" (a terminal escape)', '\u001b[31mred'),
  h('"stаging" (Cyrillic а)', 'st\u0430ging'),
  h('"\\u202eprod" (right-to-left override)', '\u202eprod'),
  h('"stag\\u200bing" (zero-width space)', 'stag\u200bing'),
  h('"\\u2028" (line separator)', '\u2028'),
  h('"\\ud800" (lone surrogate)', '\ud800'),
  h('"🚀"', '🚀'),
  h('""', ''),
  h('"   "', '   '),
  h('"$(touch /tmp/pwned)"', '$(touch /tmp/pwned)'),
  h('"`id`"', '`id`'),
  h('"; rm -rf /"', '; rm -rf /'),
  h('"${HEROKU_API_KEY}"', '${HEROKU_API_KEY}'),
  h('"\\"\'\\\\"', '"\'\\'),
  h('"{\\"environment\\":\\"production\\"}"', '{"environment":"production"}'),
  h('"__proto__"', '__proto__'),
  h('"constructor"', 'constructor'),
  h('"prototype"', 'prototype'),
  h('"toString"', 'toString'),
  h('"hasOwnProperty"', 'hasOwnProperty'),
  new Hostile('10 000 × "x"', () => 'x'.repeat(10_000)),
  new Hostile('1 MB of "a"', () => 'a'.repeat(MEGABYTE)),
  new Hostile('1 MB of "é\\n"', () => 'é\n'.repeat(MEGABYTE / 2)),
  new Hostile('"1" + 1 MB of spaces + "!"', () => `1${' '.repeat(MEGABYTE)}!`),
];

/** Not a string at all: what a JSON payload typed by hand, or a client in another language, may carry. */
export const WRONG_TYPES: Hostile[] = [
  h('null', null),
  h('true', true),
  h('false', false),
  h('0', 0),
  h('-1', -1),
  h('1.5', 1.5),
  h('1e308', 1e308),
  h('2^53 + 1', 2 ** 53 + 1),
  h('[]', []),
  h('["staging"]', ['staging']),
  h('{}', {}),
  h('{"environment":"staging"}', { environment: 'staging' }),
  new Hostile('{"__proto__": {"polluted": "yes"}}', () => JSON.parse('{"__proto__": {"polluted": "yes"}}')),
  h('{"constructor": {"prototype": {"polluted": "yes"}}}', { constructor: { prototype: { polluted: 'yes' } } }),
  new Hostile('arrays 1500 deep', () => JSON.parse(deepArrayJson(1500))),
  new Hostile('objects 1500 deep', () => JSON.parse(deepObjectJson(1500))),
  new Hostile('an array of 10 000 strings', () => Array.from({ length: 10_000 }, () => 'staging')),
  h('NaN', NaN, false),
  h('Infinity', Infinity, false),
  h('-Infinity', -Infinity, false),
];

export const HOSTILE_VALUES: Hostile[] = [...HOSTILE_STRINGS, ...WRONG_TYPES];

/** Keys no runbook takes: prototype keys, control characters, a megabyte of key. */
export const HOSTILE_KEYS: Hostile[] = [
  h('"__proto__"', '__proto__'),
  h('"constructor"', 'constructor'),
  h('"prototype"', 'prototype'),
  h('"toString"', 'toString'),
  h('"env"', 'env'),
  h('"Environment"', 'Environment'),
  h('"a.b"', 'a.b'),
  h('"x\\r\\nX-Injected: 1"', 'x\r\nX-Injected: 1'),
  h('"\\u0000"', '\u0000'),
  h('""', ''),
  h('"../x"', '../x'),
  new Hostile('1 MB key', () => 'k'.repeat(MEGABYTE)),
];

/** Short generated strings, printed as themselves. */
function generated(arbitrary: fc.Arbitrary<string>): fc.Arbitrary<Hostile> {
  return arbitrary.map((text) => h(JSON.stringify(text), text));
}

export function hostileString(): fc.Arbitrary<Hostile> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
    { weight: 1, arbitrary: generated(fc.string({ maxLength: 40, unit: 'binary' })) },
    { weight: 1, arbitrary: generated(fc.string({ maxLength: 12, unit: 'grapheme-ascii' })) },
  );
}

/** Any hostile value; `json: true` only those a JSON payload can carry. */
export function hostileValue({ json = false }: { json?: boolean } = {}): fc.Arbitrary<Hostile> {
  const wrong = json ? WRONG_TYPES.filter((value) => value.json) : WRONG_TYPES;
  return fc.oneof(
    { weight: 3, arbitrary: hostileString() },
    { weight: 2, arbitrary: fc.constantFrom(...wrong) },
    { weight: 1, arbitrary: fc.double().map((x) => h(String(x), x, Number.isFinite(x))) },
  );
}

export function hostileKey(): fc.Arbitrary<Hostile> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_KEYS) },
    { weight: 1, arbitrary: generated(fc.string({ minLength: 1, maxLength: 20, unit: 'binary' })) },
  );
}

/** A value sealed the way the CLI seals one (the shape only: nothing opens it). */
export const SEALED_LOOKALIKE = `sealed:v2:0123abcd:${'A'.repeat(43)}:${'B'.repeat(16)}:${'C'.repeat(22)}`;

/** Known-good inputs: each runbook's fields, each kind of value. Mutated field by field by the properties. */
export const GOOD_INPUTS: { [N in RunbookId]: RunbookInput<N>[] } = {
  'maintenance-on': [
    { environment: 'staging', reason: 'deploying the map fix' },
    { app: 'csis-reconasia-bravo', waitForLock: true, lockWaitMinutes: 5, operator: 'alice' },
  ],
  'maintenance-off': [{ environment: 'staging', app: 'csis-reconasia-bravo', proof: 'a proof' }],
  'scale-dynos': [{ environment: 'staging', processes: { web: '2:Standard-2X', worker: 0 } }],
  'set-config-vars': [
    { environment: 'staging', set: { FOO: SEALED_LOOKALIKE }, generate: { SECRET_KEY: 'django-secret-key' } },
  ],
  'unset-config-vars': [{ app: 'csis-reconasia-bravo', keys: ['FOO', 'BAR'] }],
  'capture-backup': [{ environment: 'production', database: 'DATABASE_URL', timing: { heartbeatTimeoutSeconds: 20 } }],
  'list-backups': [{ environment: 'production' }],
  'restore-backup': [{ environment: 'production', backup: 'b016', confirm: 'csis-reconasia-alfa' }],
  'schedule-backups': [{ environment: 'production', at: '02:00 America/New_York' }],
  'run-command': [
    {
      environment: 'staging',
      command: 'python manage.py migrate --noinput',
      timeoutMinutes: 30,
      timing: { commandTimeoutSeconds: 600 },
    },
  ],
  'rebuild-search-index': [{ environment: 'staging', timeoutMinutes: 60 }],
  'app-status': [{ app: 'csis-reconasia-alfa' }],
  'verify-backup-schedule': [{ environment: 'production' }],
  'disaster-recovery': [
    {
      environment: 'production',
      backup: 'b016',
      dryRun: true,
      safetyBackup: false,
      migrate: true,
      confirm: 'csis-reconasia-alfa',
      approvalTimeoutMinutes: 30,
      resumeFrom: {
        workflowId: 'disaster-recovery.production.20261129T124001Z.1f3a',
        runId: '0199a4c3-5a2b-7c3d-8e4f-123456789abc',
      },
    },
  ],
};

/** Known-good environments files: the repository's own, and one that sets every section. */
/** `runbook run <id>` flags that make each runbook's input good, for a property to spoil one of them. */
export const GOOD_CLI_ARGS: Record<RunbookId, string[]> = {
  'maintenance-on': ['--env', 'staging'],
  'maintenance-off': ['--env', 'staging'],
  'scale-dynos': ['--env', 'staging', '--process', 'web=1'],
  'set-config-vars': ['--env', 'staging', '--generate', 'SECRET_KEY=hex-64'],
  'unset-config-vars': ['--env', 'staging', '--key', 'FOO'],
  'capture-backup': ['--env', 'production'],
  'list-backups': ['--env', 'production'],
  'restore-backup': ['--env', 'production', '--backup', 'b016', '--confirm', 'csis-reconasia-alfa'],
  'schedule-backups': ['--env', 'production', '--at', '02:00 America/New_York'],
  'run-command': ['--env', 'staging', '--command', 'python manage.py migrate'],
  'rebuild-search-index': ['--env', 'staging'],
  'app-status': ['--env', 'staging'],
  'verify-backup-schedule': ['--env', 'production'],
  'disaster-recovery': ['--env', 'production', '--backup', 'b016'],
};

export const GOOD_CONFIG: RunbookConfigFile = {
  environments: {
    production: {
      app: 'csis-reconasia-alfa',
      description: 'Production',
      maintenance: { strategy: 'both', configVar: 'MAINTENANCE_MODE', onValue: 'True', offValue: 'False' },
      backups: {
        schedule: '02:00 America/New_York',
        database: 'DATABASE_URL',
        transferDeadline: { minimumSeconds: 1800, bytesPerSecond: 1048576, margin: 3 },
      },
      disasterRecovery: {
        approval: { required: true, timeoutMinutes: 60 },
        quietProcesses: ['worker', 'scheduler'],
        safetyBackup: true,
        migrationCommand: 'python manage.py migrate --noinput',
        runMigrations: false,
        clearCommands: ['rq empty --all'],
        indexCommand: 'python manage.py rebuild_index --noinput',
        commandTimeoutMinutes: 60,
      },
      access: {
        team: 'csis-ilab',
        change: { permissions: ['operate'], teamRoles: ['admin'], emails: ['alice@csis.example'], anyone: false },
        read: { anyone: true },
        approval: {
          runbooks: ['disaster-recovery', 'restore-backup'],
          approvers: { teamRoles: ['owner'] },
          timeoutMinutes: 30,
        },
      },
      notify: {
        email: { to: ['ops@csis.example'], from: 'runbooks@csis.example', smtpUrlEnv: 'RUNBOOK_SMTP_URL' },
        webhooks: [{ url: 'https://ops.example.com/hooks/runbooks', secretEnv: 'RUNBOOK_WEBHOOK_SECRET' }],
        on: ['approval-needed', 'failed'],
        attempts: 3,
      },
    },
    staging: { app: 'csis-reconasia-bravo' },
  },
  defaults: { maintenance: { strategy: 'config-var' }, notify: { on: ['failed'] } },
  lockPrefix: 'app-lock',
  lockWaitMinutes: 60,
};

export type Path = (string | number)[];

/** Every place in a JSON-like value where a mutation can go: each value's path, objects and arrays included. */
export function pathsOf(value: unknown, prefix: Path = []): Path[] {
  const here = prefix.length ? [prefix] : [];
  if (Array.isArray(value)) return [...here, ...value.flatMap((item, index) => pathsOf(item, [...prefix, index]))];
  if (value && typeof value === 'object') {
    return [...here, ...Object.entries(value).flatMap(([key, item]) => pathsOf(item, [...prefix, key]))];
  }
  return here;
}

/** The objects (not arrays) in a value, by path: where an extra key can go. */
export function objectPathsOf(value: unknown, prefix: Path = []): Path[] {
  if (Array.isArray(value)) return value.flatMap((item, index) => objectPathsOf(item, [...prefix, index]));
  if (value && typeof value === 'object') {
    return [prefix, ...Object.entries(value).flatMap(([key, item]) => objectPathsOf(item, [...prefix, key]))];
  }
  return [];
}

/** How one field of a known-good input is spoiled. */
export type Mutation =
  | { kind: 'replace'; path: Path; hostile: Hostile }
  | { kind: 'delete'; path: Path }
  | { kind: 'pad'; path: Path }
  | { kind: 'extra-key'; path: Path; key: Hostile; hostile: Hostile };

/** The mutation's own path: the field a refusal must name. */
export function mutatedPath(mutation: Mutation): Path {
  return mutation.kind === 'extra-key' ? [...mutation.path, String(mutation.key.value)] : mutation.path;
}

/** A copy of `value` with the mutations applied (structure copied along each path; hostile values shared). */
export function applyMutations(value: unknown, mutations: Mutation[]): unknown {
  let result = value;
  for (const mutation of mutations) result = applyOne(result, mutation);
  return result;
}

function applyOne(value: unknown, mutation: Mutation): unknown {
  const set = (target: unknown, path: Path, make: (old: unknown, exists: boolean) => unknown): unknown => {
    if (path.length === 0) return make(target, true);
    const [head, ...rest] = path;
    if (Array.isArray(target)) {
      const copy = [...target];
      if (rest.length === 0 && mutation.kind === 'delete') copy.splice(Number(head), 1);
      else copy[Number(head)] = set(target[Number(head)], rest, make);
      return copy;
    }
    const object = target && typeof target === 'object' ? (target as Record<string, unknown>) : {};
    // Own properties only (a key such as "__proto__" must become a key, as JSON.parse makes it).
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(object)) Object.defineProperty(copy, key, ownValue(item));
    if (rest.length === 0 && mutation.kind === 'delete') {
      delete copy[String(head)];
      return copy;
    }
    const old = Object.prototype.hasOwnProperty.call(object, head) ? object[String(head)] : undefined;
    Object.defineProperty(copy, String(head), ownValue(set(old, rest, make)));
    return copy;
  };
  switch (mutation.kind) {
    case 'replace':
      return set(value, mutation.path, () => mutation.hostile.value);
    case 'delete':
      return mutation.path.length === 0 ? undefined : set(value, mutation.path, () => undefined);
    case 'pad':
      // A good value with a megabyte of spaces and then something wrong after it.
      return set(value, mutation.path, (old) => `${typeof old === 'string' ? old : String(old)}${PADDING}!`);
    case 'extra-key':
      return set(value, mutation.path, (old) => {
        const copy = applyOne(old, { kind: 'replace', path: [String(mutation.key.value)], hostile: mutation.hostile });
        return copy;
      });
  }
}

function ownValue(value: unknown): PropertyDescriptor {
  return { value, enumerable: true, writable: true, configurable: true };
}

const PADDING = ' '.repeat(MEGABYTE);

/** A mutation of one of `value`'s fields (or of the value itself). */
export function mutationOf(value: unknown, { json = false }: { json?: boolean } = {}): fc.Arbitrary<Mutation> {
  const paths = [[], ...pathsOf(value)];
  const objects = objectPathsOf(value);
  const path = fc.constantFrom(...paths);
  return fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({ kind: fc.constant('replace' as const), path, hostile: hostileValue({ json }) }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), path }) },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('pad' as const), path: fc.constantFrom(...pathsOf(value)) }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('extra-key' as const),
        path: fc.constantFrom(...objects),
        key: hostileKey(),
        hostile: hostileValue({ json }),
      }),
    },
  );
}

/** Describes a mutation in a line, for a failing property's message. */
export function describeMutation(mutation: Mutation): string {
  const where = mutation.path.join('.') || '(input)';
  switch (mutation.kind) {
    case 'replace':
      return `${where} := ${mutation.hostile.label}`;
    case 'delete':
      return `delete ${where}`;
    case 'pad':
      return `${where} padded with 1 MB of spaces`;
    case 'extra-key':
      return `${where}[${mutation.key.label}] := ${mutation.hostile.label}`;
  }
}
