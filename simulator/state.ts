import { z } from 'zod';
import { DYNO_SIZE_NAMES } from './domain/dyno-sizes';
import { addonSchema } from './state-addons';
import { appDynosSchema, emptyDynos } from './state-dynos';
import { checkPeopleReferences } from './state-people-references';
import { authorizationSchema, collaboratorSchema, teamSchema } from './state-people';
import { checkDataReferences } from './state-references';
import { transferSchema } from './state-transfers';

/**
 * The simulated Heroku world, as kept in memory and in the `--state` file.
 * Everything a resource needs lives here so that persisting, resetting and
 * inspecting (`GET /__simulator/state`) are one operation each. Per-app
 * collections are nested under the app; later resources (add-ons, dynos,
 * transfers) add their own collections the same way.
 */

// Hand-edited state files may use placeholder ids, so accept any 8-4-4-4-12 hex id.
const id = z.guid();
const timestamp = z.iso.datetime();
const named = z.object({ id, name: z.string() });

export const accountSchema = z.object({
  id,
  email: z.string(),
  name: z.string().nullable(),
  created_at: timestamp,
  updated_at: timestamp,
  last_login: timestamp.nullable(),
});

export const releaseSchema = z.object({
  id,
  version: z.int().positive(),
  description: z.string(),
  status: z.enum(['failed', 'pending', 'succeeded', 'expired']),
  created_at: timestamp,
  updated_at: timestamp,
  user: z.object({ id, email: z.string() }),
  slug: z.object({ id }).nullable(),
  addon_plan_names: z.array(z.string()),
});

export const formationSchema = z.object({
  id,
  type: z.string(),
  quantity: z.int().nonnegative(),
  size: z.enum(DYNO_SIZE_NAMES),
  command: z.string(),
  created_at: timestamp,
  updated_at: timestamp,
});

export const appSchema = z.object({
  id,
  name: z.string(),
  created_at: timestamp,
  updated_at: timestamp,
  released_at: timestamp.nullable(),
  maintenance: z.boolean(),
  acm: z.boolean(),
  internal_routing: z.boolean().nullable(),
  buildpack_provided_description: z.string().nullable(),
  repo_size: z.int().nullable(),
  slug_size: z.int().nullable(),
  stack: named,
  build_stack: named,
  generation: named,
  region: named,
  team: named.nullable(),
  owner: z.object({ id, email: z.string() }),
  config_vars: z.record(z.string().regex(/^\w+$/, 'config var names must match ^\\w+$'), z.string()),
  formation: z.array(formationSchema),
  releases: z.array(releaseSchema),
  // Defaults keep state files written before add-ons and transfers existed loadable.
  addons: z.array(addonSchema).default([]),
  transfers: z.array(transferSchema).default([]),
  dynos: appDynosSchema.default(emptyDynos),
  /** A team app's non-admin members and what each may do (state-people.ts). */
  collaborators: z.array(collaboratorSchema).default([]),
});

/**
 * `{seq, time, kind, app, actor, ...detail}`; kinds are open-ended so new resources need no schema change. `actor`
 * is the email of the account that made the change (absent in effects recorded before people existed).
 */
export const effectSchema = z.looseObject({
  seq: z.int().positive(),
  time: timestamp,
  kind: z.string(),
  app: z.string(),
  actor: z.string().optional(),
});

export const stateSchema = z
  .object({
    /** The service account: the one the simulator's own token (`--token`) authenticates as. */
    account: accountSchema,
    /** Everyone else who can log in (state-people.ts). */
    people: z.array(accountSchema).default([]),
    teams: z.array(teamSchema).default([]),
    authorizations: z.array(authorizationSchema).default([]),
    apps: z.array(appSchema),
    effects: z.array(effectSchema),
  })
  .superRefine(checkDataReferences)
  .superRefine(checkPeopleReferences);

export type Account = z.infer<typeof accountSchema>;
export type ReleaseRecord = z.infer<typeof releaseSchema>;
export type FormationRecord = z.infer<typeof formationSchema>;
export type AppRecord = z.infer<typeof appSchema>;
export type Effect = z.infer<typeof effectSchema>;
export type SimulatorState = z.infer<typeof stateSchema>;
