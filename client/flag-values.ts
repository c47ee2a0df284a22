import { InvalidArgumentError } from 'commander';

// Flag values the trail's readers share (`runbook history`, `runbook audit export`): a bad one is a usage error
// (exit 2) naming the flag.

export function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return number;
}

export function isoTime(value: string): string {
  const time = Date.parse(value);
  if (Number.isNaN(time))
    throw new InvalidArgumentError('expected a date or time, e.g. 2026-11-01 or 2026-11-01T03:00:00Z');
  return new Date(time).toISOString();
}
