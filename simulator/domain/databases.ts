import { randomUUID } from 'node:crypto';
import { herokuTime } from '../clock';
import type { SimulatorContext } from '../context';
import { notFound } from '../errors';
import type { Content, DatabaseRecord, TransferScheduleRecord } from '../state-addons';
import type { SimulatorState } from '../state';
import { hasContinuousProtection } from './addon-catalog';
import { type Located, findAddon, planOf } from './addons';
import { contentId } from './data-constants';

/**
 * Heroku Postgres databases as the data API sees them: an add-on's content (what backups capture and restores
 * replace) and its one backup schedule.
 */

export interface LocatedDatabase extends Located {
  database: DatabaseRecord;
}

/** A freshly provisioned database: Postgres' catalog only, about 7.6 MB. */
export function emptyDatabaseContent(addonName: string, at: string): Content {
  return { id: contentId(addonName, at), bytes: 7_964_291 };
}

/** `/client/v11/databases/{id}`: the add-on UUID (or, leniently, its name) of a provisioned Heroku Postgres. */
export function requireDatabase(state: SimulatorState, idOrName: string): LocatedDatabase {
  const found = findAddon(state, idOrName);
  // A database still provisioning is unknown to the data API; the CLI reads that 404 as "not yet provisioned".
  if (!found || !found.addon.database || found.addon.state !== 'provisioned') {
    throw notFound('database', "Couldn't find that database.");
  }
  return { ...found, database: found.addon.database };
}

function megabytes(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MB`;
}

/** The subset of `GET /client/v11/databases/{id}` the CLI reads (`info`), plus identifying fields. */
export function databaseInfoView({ app, addon, database }: LocatedDatabase) {
  const plan = planOf(addon);
  const [, planName] = plan.name.split(':');
  return {
    addon_id: addon.id,
    name: addon.name,
    heroku_resource_id: addon.provider_id,
    created_at: addon.created_at,
    plan: planName,
    num_bytes: database.content.bytes,
    num_tables: 42,
    postgres_version: '16.4',
    resource_url: `https://postgres.example/${addon.id}`,
    'waiting?': false,
    info: [
      { name: 'Plan', values: [planName.replace(/^./, (c) => c.toUpperCase())] },
      { name: 'Status', values: ['Available'] },
      { name: 'Data Size', values: [megabytes(database.content.bytes)] },
      { name: 'Tables', values: ['42'] },
      { name: 'PG Version', values: ['16.4'] },
      { name: 'Continuous Protection', values: [hasContinuousProtection(plan) ? 'On' : 'Off'] },
      { name: 'Created', values: [addon.created_at.replace('T', ' ').replace('Z', ' UTC')] },
      { name: 'Billing App', values: [app.name] },
    ],
  };
}

export function scheduleView(schedule: TransferScheduleRecord) {
  return {
    uuid: schedule.uuid,
    name: schedule.name,
    hour: schedule.hour,
    timezone: schedule.timezone,
    created_at: schedule.created_at,
    updated_at: schedule.updated_at,
  };
}

/** Heroku keeps one schedule per database, so setting one replaces any other. */
export function setSchedule(
  ctx: SimulatorContext,
  located: LocatedDatabase,
  request: { name: string; hour: number; timezone: string },
): TransferScheduleRecord {
  const now = herokuTime(ctx.clock.now());
  const replaced = located.database.schedule;
  const schedule: TransferScheduleRecord = { uuid: randomUUID(), ...request, created_at: now, updated_at: now };
  located.database.schedule = schedule;
  ctx.effects.record('schedule-set', located.app.name, {
    database: located.addon.name,
    uuid: schedule.uuid,
    name: schedule.name,
    hour: schedule.hour,
    timezone: schedule.timezone,
    replaced: replaced?.uuid ?? null,
  });
  return schedule;
}

export function deleteSchedule(ctx: SimulatorContext, located: LocatedDatabase, uuid: string): TransferScheduleRecord {
  const schedule = located.database.schedule;
  if (!schedule || schedule.uuid !== uuid.toLowerCase()) throw notFound('schedule', "Couldn't find that schedule.");
  located.database.schedule = null;
  ctx.effects.record('schedule-delete', located.app.name, {
    database: located.addon.name,
    uuid: schedule.uuid,
    name: schedule.name,
  });
  return schedule;
}
