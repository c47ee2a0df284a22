/**
 * The simulator reads time only through a Clock so that a later time-control
 * feature can swap in a virtual clock without touching the resources.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** Heroku renders timestamps as ISO 8601 in UTC without milliseconds. */
export function herokuTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
