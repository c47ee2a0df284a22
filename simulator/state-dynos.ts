import { z } from 'zod';
import { DYNO_SIZE_NAMES } from './domain/dyno-sizes';

/**
 * Dynos in the simulated world, nested under their app (`apps[i].dynos`). Formation dynos (web.1, worker.1 …) follow
 * from the formation and need no record beyond their last restart; one-off dynos are records. A one-off's lifecycle
 * is not stored as a state but as wall-clock milestones (ISO, with milliseconds) fixed when they become known, so its
 * state, its log lines and its rendezvous output can be computed for any moment, and survive a `--state` restart.
 * Finished one-offs are kept (a few) because their logs stay readable after they are gone from the API.
 */

const id = z.guid();
const timestamp = z.iso.datetime();

/** What the command does when it runs: chosen from the command-outcome table when the dyno is created. */
export const outcomeSchema = z.object({
  exit_status: z.int().min(0).max(255),
  /** Simulated run time of the process, from its start to its exit. */
  duration_seconds: z.number().nonnegative(),
  output: z.array(z.string()),
});

export const oneOffDynoSchema = z.object({
  id,
  name: z.string().regex(/^[\w-]+\.\d+$/),
  type: z.string(),
  /** Exactly as the client sent it, including the CLI's `; echo … exit-status` suffix. */
  command: z.string(),
  size: z.enum(DYNO_SIZE_NAMES),
  attach: z.boolean(),
  force_no_tty: z.boolean().nullable(),
  env: z.record(z.string(), z.string()),
  time_to_live: z.number().positive().nullable(),
  /** The rendezvous secret, for attached dynos. */
  attach_secret: z.string().nullable(),
  release: z.object({ id, version: z.int().positive() }),
  outcome: outcomeSchema,
  created_at: timestamp,
  /** When the dyno has booted: a detached process starts then, an attached one starts awaiting its client. */
  boot_at: timestamp,
  /** Attached dynos only: Heroku gives up on the client then (R13, exit status 128). */
  attach_deadline: timestamp.nullable(),
  /** When `time_to_live` runs out. */
  expires_at: timestamp.nullable(),
  /** Set once the process starts (at creation for detached dynos, when the client attaches otherwise). */
  process: z.object({ started_at: timestamp, exits_at: timestamp }).nullable(),
  /** A stop request or the rendezvous client hanging up, at the moment it happened. */
  interrupt: z.object({ at: timestamp, reason: z.enum(['stop', 'hangup']) }).nullable(),
  /** Whether the `dyno-exit` effect has been recorded. */
  exit_recorded: z.boolean(),
});

export const appDynosSchema = z.object({
  one_offs: z.array(oneOffDynoSchema),
  /** Formation dyno name (`web.1`) → its latest restart and when it is up again. */
  restarts: z.record(z.string(), z.object({ at: timestamp, up_at: timestamp })),
});

/** State files written before dynos existed load with none. */
export const emptyDynos = (): AppDynos => ({ one_offs: [], restarts: {} });

export type DynoOutcome = z.infer<typeof outcomeSchema>;
export type OneOffDynoRecord = z.infer<typeof oneOffDynoSchema>;
export type AppDynos = z.infer<typeof appDynosSchema>;
