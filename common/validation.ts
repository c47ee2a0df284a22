import { z } from 'zod';

/** Enough problems to fix first: a flood of them (ten thousand unknown keys, say) must not make a megabyte message. */
const MAX_ISSUES = 20;
const MAX_KEYS = 10;
/** A key longer than this is clipped where a message names it. */
const MAX_KEY_LENGTH = 60;

/**
 * One line per problem, each naming the field: "app: must be a Heroku app name …". `unknownKey` says what a key
 * no schema names is (the environments file says it its own way).
 */
export function describeIssues(error: z.ZodError, unknownKey = 'not an input of this runbook'): string {
  const lines = error.issues.slice(0, MAX_ISSUES).map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.slice(0, MAX_KEYS).map((key) => describePath([...issue.path, key]));
      const more = issue.keys.length > MAX_KEYS ? ` and ${issue.keys.length - MAX_KEYS} more` : '';
      return `${keys.join(', ')}${more}: ${unknownKey}`;
    }
    // A record's key that its key schema refused: that schema's message says what a key must be.
    const message = issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
    return `${describePath(issue.path)}: ${message}`;
  });
  const more = error.issues.length > MAX_ISSUES ? [`and ${error.issues.length - MAX_ISSUES} more problems`] : [];
  return [...lines, ...more].join('; ');
}

/**
 * A field's path as messages write it: `set.FOO`, `keys.0`. A key that is not a plain name (it came from the
 * input: a newline, a dot, a megabyte) is quoted and clipped, so that it cannot pass for another field, break a
 * log line or fill one.
 */
export function describePath(path: readonly PropertyKey[]): string {
  return path.map(describeKey).join('.') || '(input)';
}

function describeKey(key: PropertyKey): string {
  const text = String(key);
  if (/^[A-Za-z0-9_-]+$/.test(text) && text.length <= MAX_KEY_LENGTH) return text;
  const clipped = text.length > MAX_KEY_LENGTH ? `${text.slice(0, MAX_KEY_LENGTH)}…` : text;
  // JSON escapes control characters; these it leaves as they are, and a terminal or a log viewer would act on them.
  const quoted = JSON.stringify(clipped).replace(
    /[\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return text.length > MAX_KEY_LENGTH ? `${quoted} (${text.length} characters)` : quoted;
}

/**
 * Checks an input against its schema, as the CLI, the workflow and the worker's config loader do. First it looks for
 * a "__proto__" key anywhere in the input (JSON.parse makes one an own key): zod's records skip such a key without a
 * word, so `{"set": {"__proto__": …}}` would be taken and the var silently not set. `refuseProtoKey` says whether
 * to refuse one found (the workflow asks `patched()`, for runs that began taking it).
 */
export function checkInput<T extends z.ZodType>(
  schema: T,
  raw: unknown,
  refuseProtoKey: () => boolean = () => true,
): z.ZodSafeParseResult<z.output<T>> {
  const protoKey = protoKeyPath(raw);
  if (protoKey && refuseProtoKey()) {
    return {
      success: false,
      error: new z.ZodError([
        { code: 'custom', path: protoKey, message: 'is not a key any input or setting can have', input: raw },
      ]),
    } as z.ZodSafeParseResult<z.output<T>>;
  }
  return schema.safeParse(raw);
}

/** The path of the first own "__proto__" key in a JSON-like value, or null. Iterative: inputs may nest 10 000 deep. */
function protoKeyPath(raw: unknown): PropertyKey[] | null {
  interface Visit {
    value: unknown;
    key: PropertyKey | null;
    parent: Visit | null;
  }
  const pathOf = (visit: Visit | null): PropertyKey[] => {
    const path: PropertyKey[] = [];
    for (let at = visit; at && at.key !== null; at = at.parent) path.unshift(at.key);
    return path;
  };
  const pending: Visit[] = [{ value: raw, key: null, parent: null }];
  // Past this many values it stops looking: the schema bounds what it takes, and the look must stay cheap.
  for (let seen = 0; pending.length > 0 && seen < 1_000_000; seen++) {
    const visit = pending.pop()!;
    const { value } = visit;
    if (Array.isArray(value)) {
      value.forEach(
        (item, index) => item && typeof item === 'object' && pending.push({ value: item, key: index, parent: visit }),
      );
    } else if (value && typeof value === 'object') {
      if (Object.prototype.hasOwnProperty.call(value, '__proto__')) return [...pathOf(visit), '__proto__'];
      for (const [key, item] of Object.entries(value))
        if (item && typeof item === 'object') pending.push({ value: item, key, parent: visit });
    }
  }
  return null;
}
