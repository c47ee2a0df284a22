import { createHash } from 'node:crypto';

/**
 * Deterministic UUID (version 5 layout) derived from a name, so the seed has
 * the same ids on every start and tests can hard-code them.
 */
export function stableId(...parts: string[]): string {
  const bytes = createHash('sha1')
    .update(`heroku-simulator:${parts.join(':')}`)
    .digest()
    .subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}
