import type { z } from 'zod';
import { invalidParams } from './errors';

/** `apps[0].formation[1].quantity`-style rendering of a zod issue path. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${String(key)}`))
    .join('');
}

/** One line per issue, each naming the offending field. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length > 0 ? `${formatPath(issue.path)}: ${issue.message}` : issue.message))
    .join('; ');
}

/** Parses a request body or throws Heroku's 422 invalid_params naming the field. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const result = schema.safeParse(body ?? {});
  if (!result.success) throw invalidParams(`Invalid params: ${describeIssues(result.error)}`);
  return result.data;
}
