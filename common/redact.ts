// What the audit trail, logs and results may keep of a run's input. Config-var values never reach them: only their
// keys. An input that failed its schema is kept as its field names only: a value typed into the wrong field (a
// plain secret in `set`, say) must not reach the trail because it was refused.

/** A checked input, as recorded: `set` values (sealed as they are) become their keys. */
export function redactInput(input: object): Record<string, unknown> {
  // The proof is sealed and its token revoked once verified; it still has no place in the trail.
  const rest = { ...(input as Record<string, unknown>) };
  delete rest.proof;
  const set = rest.set;
  delete rest.set;
  return set && typeof set === 'object' ? { ...rest, set: Object.keys(set) } : rest;
}

/** An input that failed its schema, as recorded: its shape and field names, never a value. */
export function describeRejectedInput(raw: unknown): Record<string, unknown> {
  if (raw === null || raw === undefined) return { given: 'nothing' };
  if (typeof raw !== 'object' || Array.isArray(raw))
    return { given: Array.isArray(raw) ? 'an array' : `a ${typeof raw}` };
  const fields = Object.keys(raw);
  return {
    fields: fields.slice(0, 50).map((field) => clip(field, 100)),
    ...(fields.length > 50 && { more: fields.length - 50 }),
  };
}

/**
 * What a message or an input carried, for a refusal or the record: its JSON, clipped. Never throws: a value nested
 * 10 000 deep (a Signal's payload, say) overflows JSON.stringify, and a throw in a message handler would fail the
 * run's workflow task over and over instead of refusing the message.
 */
export function describeSent(value: unknown, max: number): string {
  try {
    return clip(JSON.stringify(value) ?? String(value), max);
  } catch {
    return `${Array.isArray(value) ? 'an array' : `a ${typeof value}`} too deeply nested to show`;
  }
}

/** At most `max` characters, saying how many were left out. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}
