import { z } from 'zod';
import { contentSchema } from './state-addons';

/**
 * Postgres data-API transfers (backups and restores), nested under the app that owns their numbering
 * (`apps[i].transfers`): the billing app of the database. The API fields are Heroku's (reference §4.2); the rest
 * is what the simulator needs to play the transfer out in simulated time and to apply it when it finishes.
 */

const id = z.guid();
const timestamp = z.iso.datetime();
const endpointType = z.enum(['gof3r', 'htcat', 'pg_dump', 'pg_restore']);

export const transferSchema = z
  .object({
    uuid: id,
    num: z.int().positive(),
    from_name: z.string().nullable(),
    from_type: endpointType,
    from_url: z.string().nullable(),
    to_name: z.string().nullable(),
    to_type: endpointType,
    to_url: z.string().nullable(),
    options: z.record(z.string(), z.unknown()),
    source_bytes: z.int().nonnegative(),
    /** Final value once finished; while running, the API computes it from `simulation`. */
    processed_bytes: z.int().nonnegative(),
    succeeded: z.boolean(),
    warnings: z.int().nonnegative(),
    num_keep: z.int().positive(),
    schedule: z.object({ uuid: id }).nullable(),
    created_at: timestamp,
    started_at: timestamp.nullable(),
    finished_at: timestamp.nullable(),
    canceled_at: timestamp.nullable(),
    deleted_at: timestamp.nullable(),
    purged_at: timestamp.nullable(),
    updated_at: timestamp,

    /** The database add-on captured from (backup) or restored into (restore). */
    database_id: id,
    /** Backup: the content captured. Restore: the content it installs, null when its source is unusable. */
    content: contentSchema.nullable(),
    /** Restore: the backup it restores, when the URL was one of ours. */
    backup_uuid: id.nullable(),
    /** Why it failed (shown in its logs); null unless it fails or failed. */
    failure: z.string().nullable(),
    /** The planned timeline (ISO with milliseconds, real time); null for transfers seeded as finished. */
    simulation: z
      .object({
        /**
         * When it starts: processed_bytes grows on a straight line from here to completes_at. A running transfer
         * given another pace (control API `transfers/{uuid}/pace`) gets the line's start at the new pace instead;
         * started_at keeps the real start.
         */
        starts_at: timestamp,
        completes_at: timestamp,
        /** Set when the transfer is going to fail: it stops here instead of completing. */
        fails_at: timestamp.nullable(),
        /** processed_bytes at completion. */
        total_bytes: z.int().nonnegative(),
      })
      .nullable(),
  })
  .refine((transfer) => transfer.finished_at !== null || transfer.simulation !== null, {
    message: 'an unfinished transfer needs its simulation timeline',
    path: ['simulation'],
  });

export type TransferRecord = z.infer<typeof transferSchema>;
