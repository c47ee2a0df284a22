import { herokuTime } from './clock';
import { POSTGRES_SERVICE, requirePlanNamed } from './domain/addon-catalog';
import { DUMP_RATIO, NUM_KEEP, backupUrl, contentId } from './domain/data-constants';
import { stableId } from './ids';
import type { AddonRecord, TransferScheduleRecord } from './state-addons';
import type { ReleaseRecord } from './state';
import type { TransferRecord } from './state-transfers';

/**
 * The add-ons and Heroku Postgres backups of the runbook's apps (shared/seed/heroku-setup.md). Production's
 * backups are exactly the runbook's table (b012–b016); staging has a few of its own, one of them made by its
 * daily schedule. Production has no schedule: its backups are all manual, as the table shows, and the runbook
 * says a restore drops the schedule. Each database currently holds content no backup has, so a test can tell a
 * restore happened by which backup's content it holds afterwards.
 */

export interface SeedAddon {
  attachment: string;
  ref: string;
  plan: string;
}

interface SeedBackup {
  num: number;
  created: string;
  completed: string;
  /** The runbook's Size column, in MB as the CLI prints them (1 MB = 2^20 bytes). */
  megabytes: number;
  /** Made by the database's schedule (named a…). */
  scheduled?: boolean;
}

export interface SeedPostgres {
  backups: readonly SeedBackup[];
  schedule: { hour: number; timezone: string; created: string } | null;
  /** When the database last changed; null if it holds what its newest backup captured. */
  changedAt: string | null;
}

export const PRODUCTION_POSTGRES: SeedPostgres = {
  backups: [
    { num: 12, created: '2016-08-22T21:12:30Z', completed: '2016-08-22T21:12:36Z', megabytes: 9.08 },
    { num: 13, created: '2016-08-26T21:51:46Z', completed: '2016-08-26T21:51:53Z', megabytes: 9.2 },
    { num: 14, created: '2016-08-30T21:39:15Z', completed: '2016-08-30T21:39:23Z', megabytes: 9.27 },
    { num: 15, created: '2016-09-19T14:10:03Z', completed: '2016-09-19T14:10:17Z', megabytes: 9.38 },
    { num: 16, created: '2016-10-13T15:32:37Z', completed: '2016-10-13T15:32:44Z', megabytes: 9.59 },
  ],
  schedule: null,
  changedAt: '2016-10-20T18:04:11Z',
};

export const STAGING_POSTGRES: SeedPostgres = {
  backups: [
    { num: 9, created: '2016-10-03T20:14:09Z', completed: '2016-10-03T20:14:15Z', megabytes: 8.71 },
    { num: 10, created: '2016-10-12T16:45:51Z', completed: '2016-10-12T16:45:58Z', megabytes: 8.93 },
    // 02:00 America/New_York (EDT) is 06:00 UTC.
    { num: 11, created: '2016-10-14T06:00:12Z', completed: '2016-10-14T06:00:19Z', megabytes: 8.95, scheduled: true },
  ],
  schedule: { hour: 2, timezone: 'America/New_York', created: '2016-10-13T19:20:05Z' },
  changedAt: null,
};

const plusSeconds = (iso: string, seconds: number) => herokuTime(new Date(Date.parse(iso) + seconds * 1000));

interface SeedApp {
  id: string;
  name: string;
  config_vars: Record<string, string>;
  releases: ReleaseRecord[];
}

/** Add-ons as the app's "Attach …" releases created them, and the database's backups and schedule. */
export function seedAddons(
  app: SeedApp,
  addons: readonly SeedAddon[],
  postgres: SeedPostgres,
): { addons: AddonRecord[]; transfers: TransferRecord[] } {
  const transfers: TransferRecord[] = [];
  const records = addons.map((seed): AddonRecord => {
    const description = `Attach ${seed.attachment} (@ref:${seed.ref})`;
    const created =
      app.releases.find((release) => release.description === description)?.created_at ?? app.releases[0].created_at;
    const id = stableId('addon', seed.ref);
    const isPostgres = requirePlanNamed(seed.plan).service.name === POSTGRES_SERVICE;
    const schedule: TransferScheduleRecord | null = postgres.schedule && {
      uuid: stableId('transfer-schedule', seed.ref),
      name: `${seed.attachment}_URL`,
      hour: postgres.schedule.hour,
      timezone: postgres.schedule.timezone,
      created_at: postgres.schedule.created,
      updated_at: postgres.schedule.created,
    };
    if (isPostgres) transfers.push(...postgres.backups.map((backup) => seedBackup(app, seed, id, backup, schedule)));
    const newest = transfers.at(-1);
    return {
      id,
      name: seed.ref,
      plan: seed.plan,
      state: 'provisioned',
      provisioned_at: null,
      config: {},
      attachments: [
        {
          id: stableId('addon-attachment', seed.ref, seed.attachment),
          name: seed.attachment,
          app_id: app.id,
          namespace: null,
          created_at: created,
          updated_at: created,
        },
      ],
      database: !isPostgres
        ? null
        : {
            content:
              postgres.changedAt || !newest?.content
                ? { id: contentId(seed.ref, postgres.changedAt ?? created), bytes: 38_210_560 }
                : { ...newest.content },
            schedule,
          },
      provider_id: `resource-${stableId('addon-resource', seed.ref)}`,
      created_at: created,
      updated_at: created,
    };
  });
  return { addons: records, transfers };
}

function seedBackup(
  app: SeedApp,
  addon: SeedAddon,
  addonId: string,
  backup: SeedBackup,
  schedule: TransferScheduleRecord | null,
): TransferRecord {
  const uuid = stableId('transfer', app.name, String(backup.num));
  const processed = Math.round(backup.megabytes * 1_048_576);
  const source = Math.round(processed / DUMP_RATIO);
  return {
    uuid,
    num: backup.num,
    from_name: addon.attachment,
    from_type: 'pg_dump',
    from_url: app.config_vars[`${addon.attachment}_URL`] ?? null,
    to_name: 'BACKUP',
    to_type: 'gof3r',
    to_url: backupUrl(app.id, uuid),
    options: {},
    source_bytes: source,
    processed_bytes: processed,
    succeeded: true,
    warnings: 0,
    num_keep: NUM_KEEP,
    schedule: backup.scheduled && schedule ? { uuid: schedule.uuid } : null,
    created_at: backup.created,
    started_at: plusSeconds(backup.created, 1),
    finished_at: backup.completed,
    canceled_at: null,
    deleted_at: null,
    purged_at: null,
    updated_at: backup.completed,
    database_id: addonId,
    content: { id: contentId(addon.ref, backup.created), bytes: source },
    backup_uuid: null,
    failure: null,
    simulation: null,
  };
}
