import type { RunbookOutcome } from './launch';

interface Summarised {
  summary?: unknown;
}

/** How a finished run reads on a terminal: what happened, then where to look at it. */
export function formatOutcome(name: string, outcome: RunbookOutcome<unknown>, link: string): string {
  if (outcome.status === 'succeeded') {
    const summary = (outcome.result as Summarised | null)?.summary;
    return [`✔ ${name} succeeded`, typeof summary === 'string' ? `  ${summary}` : undefined, `  Run: ${link}`]
      .filter(Boolean)
      .join('\n');
  }
  return [
    `✘ ${name} failed${outcome.error.type ? ` (${outcome.error.type})` : ''}`,
    `  ${outcome.error.message}`,
    `  Run: ${link}`,
  ].join('\n');
}
