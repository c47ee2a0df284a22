import type { z } from 'zod';

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
