import { ApplicationFailure } from '@temporalio/common';
import type { z } from 'zod';
import { FailureTypes } from './errors';

/** One line per problem, each naming the field: "app: must be a Heroku app name …". */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      if (issue.code === 'unrecognized_keys') {
        return `${issue.keys.join(', ')}: not an input of this runbook`;
      }
      const field = issue.path.map(String).join('.') || '(input)';
      return `${field}: ${issue.message}`;
    })
    .join('; ');
}

/**
 * Parses a runbook's input, or fails the run without retry. Called first thing in every workflow, so bad input
 * from the UI or the API never reaches Heroku.
 */
export function parseRunbookInput<S extends z.ZodType>(runbook: string, schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  throw ApplicationFailure.create({
    type: FailureTypes.InvalidRunbookInput,
    message: `Invalid input for ${runbook}: ${describeIssues(parsed.error)}`,
    nonRetryable: true,
  });
}
