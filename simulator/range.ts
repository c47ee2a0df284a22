import type { Request, Response } from 'express';
import { ApiError } from './errors';

/**
 * Heroku list pagination via the Range header (reference §2.5):
 * `<field> [start]..[end][; key=value[,key=value]]`, e.g.
 * `version ..; order=desc,max=1`, `version ..; max=15, order=desc`,
 * `id ..; max=1000`, `]5..; max=2`. A `]` before the start makes it
 * exclusive; a `[` after the end makes the end exclusive. heroku-client sends
 * `id ..; max=1000` on every request and can be made to send the literal
 * `null`, so those must work; only list endpoints look at the header at all.
 */

export const DEFAULT_PAGE_SIZE = 200;
export const MAX_PAGE_SIZE = 1000;

export interface RangeSpec {
  field: string;
  start?: { value: string; exclusive: boolean };
  end?: { value: string; exclusive: boolean };
  order: 'asc' | 'desc';
  max: number;
}

const RANGE_PATTERN = /^(?:([A-Za-z_]+)\s+)?(\]?)([^.;\s]*)\.\.([^.;\s[]*)(\[?)\s*(?:;(.*))?$/;

function rangeError(detail: string): ApiError {
  return new ApiError(416, 'requested_range_not_satisfiable', `Invalid Range header: ${detail}`);
}

/** `fields` are the sortable fields of the list; the first is used when the header names none. */
export function parseRange(header: string | undefined, fields: readonly string[]): RangeSpec {
  const text = (header ?? '').trim();
  const spec: RangeSpec = { field: fields[0], order: 'asc', max: DEFAULT_PAGE_SIZE };
  if (text === '' || text === 'null') return spec;

  const match = RANGE_PATTERN.exec(text);
  if (!match) throw rangeError(`could not parse "${text}".`);
  const [, field, startExclusive, start, end, endExclusive, params = ''] = match;
  if (field !== undefined) {
    if (!fields.includes(field)) throw rangeError(`field must be one of ${fields.join(', ')}.`);
    spec.field = field;
  }
  if (start !== '') spec.start = { value: start, exclusive: startExclusive === ']' };
  if (end !== '') spec.end = { value: end, exclusive: endExclusive === '[' };

  for (const pair of params.split(/[;,]/)) {
    if (pair.trim() === '') continue;
    const [key, value = ''] = pair.split('=').map((part) => part.trim());
    if (key === 'max') {
      const max = Number(value);
      if (!Number.isInteger(max) || max < 1) throw rangeError(`max must be a positive integer.`);
      spec.max = Math.min(max, MAX_PAGE_SIZE);
    } else if (key === 'order') {
      if (value !== 'asc' && value !== 'desc') throw rangeError(`order must be asc or desc.`);
      spec.order = value;
    }
    // Other keys are ignored: clients treat Next-Range as opaque and may echo extras.
  }
  return spec;
}

type SortKey<T> = (item: T) => string | number;

export interface Page<T> {
  items: T[];
  /** Set when more items follow; the client sends it back as its next Range. */
  nextRange?: string;
  contentRange?: string;
}

function compare(a: string | number, b: string | number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function paginate<T>(items: readonly T[], spec: RangeSpec, key: SortKey<T>): Page<T> {
  const direction = spec.order === 'desc' ? -1 : 1;
  const sorted = [...items].sort((a, b) => direction * compare(key(a), key(b)));
  if (sorted.length === 0) return { items: [] };

  // Bounds are typed after the field's values so that versions compare numerically.
  const numeric = typeof key(sorted[0]) === 'number';
  const bound = (value: string): string | number => {
    if (!numeric) return value;
    const number = Number(value);
    if (!Number.isFinite(number)) throw rangeError(`${spec.field} bounds must be numbers.`);
    return number;
  };
  const start = spec.start && { value: bound(spec.start.value), exclusive: spec.start.exclusive };
  const end = spec.end && { value: bound(spec.end.value), exclusive: spec.end.exclusive };

  // "Start" and "end" follow the requested order, so `]5..` under order=desc means "below 5".
  const inRange = sorted.filter((item) => {
    const position = (other: string | number) => direction * compare(key(item), other);
    if (start && (start.exclusive ? position(start.value) <= 0 : position(start.value) < 0)) return false;
    if (end && (end.exclusive ? position(end.value) >= 0 : position(end.value) > 0)) return false;
    return true;
  });
  const page = inRange.slice(0, spec.max);
  if (page.length === 0) return { items: [] };

  const params = `${spec.order === 'desc' ? 'order=desc,' : ''}max=${spec.max}`;
  const first = key(page[0]);
  const last = key(page[page.length - 1]);
  const endText = spec.end ? `${spec.end.value}${spec.end.exclusive ? '[' : ''}` : '';
  return {
    items: page,
    contentRange: `${spec.field} ${first}..${last}; ${params}`,
    nextRange: inRange.length > page.length ? `${spec.field} ]${last}..${endText}; ${params}` : undefined,
  };
}

/**
 * Answers a list request: 200 with the whole (range-limited) list, or 206
 * with Next-Range when truncated. `sortKeys` maps each Range field the list
 * supports to its value; the first entry is the default field.
 */
export function sendList<T>(
  req: Request,
  res: Response,
  items: readonly T[],
  sortKeys: Record<string, SortKey<T>>,
  view: (item: T) => unknown,
): void {
  const fields = Object.keys(sortKeys);
  const spec = parseRange(req.headers.range, fields);
  const page = paginate(items, spec, sortKeys[spec.field]);
  res.setHeader('Accept-Ranges', fields.join(', '));
  if (page.contentRange) res.setHeader('Content-Range', page.contentRange);
  if (page.nextRange) res.setHeader('Next-Range', page.nextRange);
  res.status(page.nextRange ? 206 : 200).json(page.items.map(view));
}
