import type { Clock } from '../../simulator/clock';
import type { RunningSimulator } from '../../simulator';
import { ALFA, type Json, api, control } from './helpers';

/** A clock the test moves by hand, so simulated-time progress is exact instead of raced against. */
export class ManualClock implements Clock {
  private ms: number;

  constructor(start = '2026-03-02T10:00:00.000Z') {
    this.ms = Date.parse(start);
  }

  now(): Date {
    return new Date(this.ms);
  }

  advance(ms: number): void {
    this.ms += ms;
  }
}

export const ALFA_DB = 'postgresql-rugged-48213';
export const BRAVO_DB = 'postgresql-shallow-90412';

/** The add-on UUID the data API paths take. */
export async function databaseId(sim: RunningSimulator, app = ALFA): Promise<string> {
  const response = await api(sim, `/apps/${app}/addons/DATABASE`);
  return response.body.id;
}

export async function transfers(sim: RunningSimulator, app = ALFA): Promise<Json[]> {
  return (await api(sim, `/client/v11/apps/${app}/transfers`)).body;
}

export async function transfer(
  sim: RunningSimulator,
  numOrUuid: string | number,
  app = ALFA,
  verbose = false,
): Promise<Json> {
  return (await api(sim, `/client/v11/apps/${app}/transfers/${numOrUuid}${verbose ? '?verbose=true' : ''}`)).body;
}

/** The CLI's name for a transfer: b/a/r/c and the num on three digits (reference §4.2). */
export function nameOf(t: { from_type: string; to_type: string; schedule?: unknown; num: number }): string {
  const prefix =
    t.from_type === 'pg_dump'
      ? t.to_type === 'pg_restore'
        ? 'c'
        : t.schedule
          ? 'a'
          : 'b'
      : t.to_type === 'pg_restore'
        ? 'r'
        : 'b';
  return `${prefix}${String(t.num).padStart(3, '0')}`;
}

export async function databases(sim: RunningSimulator): Promise<Json[]> {
  return control(sim, 'GET', '/databases');
}

export async function databaseState(sim: RunningSimulator, addon = ALFA_DB): Promise<Json> {
  return (await databases(sim)).find((db: { addon: string }) => db.addon === addon);
}

export async function effectsOf(sim: RunningSimulator, kind: string): Promise<Json[]> {
  return (await control(sim, 'GET', '/effects')).filter((effect: { kind: string }) => effect.kind === kind);
}

/** The seeded content of a backup, by its num on the app, as kept in the state. */
export async function contentOfBackup(sim: RunningSimulator, num: number, appIndex = 0): Promise<Json> {
  const state = await control(sim, 'GET', '/state');
  return state.apps[appIndex].transfers.find((t: { num: number }) => t.num === num).content;
}
