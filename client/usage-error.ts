/** The command line was wrong (exit status 2): the message names the flag or argument, and nothing was started. */
export class UsageError extends Error {}
