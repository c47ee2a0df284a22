import { z } from 'zod';
import { findPlan } from './domain/addon-catalog';

/**
 * Add-ons in the simulated world, nested under their billing app (`apps[i].addons`). Attachments hang off the
 * add-on and name the app they attach to by id, so an app rename needs no fix-up. Config var values live in the
 * apps' `config_vars`; which vars an attachment owns follows from its name (see domain/addon-catalog.ts).
 */

const id = z.guid();
const timestamp = z.iso.datetime();

/** What a database holds, as far as backups and restores are concerned: an identity and a size. */
export const contentSchema = z.object({
  /** Changes when the data changes; a backup remembers the id it captured, a restore installs it. */
  id: z.string().min(1),
  bytes: z.int().nonnegative(),
});

export const transferScheduleSchema = z.object({
  uuid: id,
  /** The config var the CLI resolved, e.g. DATABASE_URL. */
  name: z.string().min(1),
  hour: z.int().min(0).max(23),
  timezone: z.string().refine(isTimeZone, 'unknown IANA time zone'),
  created_at: timestamp,
  updated_at: timestamp,
});

export const databaseSchema = z.object({
  content: contentSchema,
  /** Heroku keeps at most one backup schedule per database. */
  schedule: transferScheduleSchema.nullable(),
});

export const attachmentSchema = z.object({
  id,
  name: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'attachment names are upper case letters, digits and underscores'),
  app_id: id,
  namespace: z.string().nullable(),
  created_at: timestamp,
  updated_at: timestamp,
});

export const addonSchema = z.object({
  id,
  name: z.string().regex(/^[a-z][a-z0-9-]*$/, 'add-on names are lower case letters, digits and dashes'),
  plan: z.string().refine((plan) => findPlan(plan)?.name === plan, 'unknown add-on plan'),
  state: z.enum(['provisioning', 'provisioned', 'deprovisioned']),
  /** When a provisioning add-on becomes provisioned (ISO, with milliseconds); null once it has. */
  provisioned_at: timestamp.nullable(),
  config: z.record(z.string(), z.union([z.string(), z.boolean()])),
  attachments: z.array(attachmentSchema),
  /** Heroku Postgres only: what the data API operates on. */
  database: databaseSchema.nullable(),
  provider_id: z.string(),
  created_at: timestamp,
  updated_at: timestamp,
});

export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export type Content = z.infer<typeof contentSchema>;
export type TransferScheduleRecord = z.infer<typeof transferScheduleSchema>;
export type DatabaseRecord = z.infer<typeof databaseSchema>;
export type AttachmentRecord = z.infer<typeof attachmentSchema>;
export type AddonRecord = z.infer<typeof addonSchema>;
