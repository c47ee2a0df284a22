import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { herokuTime } from '../clock';
import type { SimulatorContext } from '../context';
import { ApiError, invalidParams } from '../errors';
import { stableId } from '../ids';
import type { AppRecord, FormationRecord } from '../state';
import type { OneOffDynoRecord } from '../state-dynos';
import { appRef } from './apps';
import { findDynoSize } from './dyno-sizes';
import { parseCommand } from './dyno-outcomes';
import { phaseAt, timeline } from './one-off-timeline';
import { currentRelease } from './releases';

/** Simulated time from dyno create to booted (real logs show 4–5 s before "Awaiting client" or the process start). */
const BOOT_SECONDS = 4;
/** Heroku gives an attached dyno's client 30 s to connect before R13 (real logs). */
const ATTACH_TIMEOUT_SECONDS = 30;
/** The client connects in real time, so even at high speed it gets this long (real ms) before R13. */
const MIN_ATTACH_WINDOW_MS = 2_000;
/** Simulated time a restarted formation dyno spends starting. */
const FORMATION_BOOT_SECONDS = 5;

const DEFAULT_ONE_OFF_SIZE = 'Standard-1X';
const DEFAULT_ONE_OFF_TYPE = 'run';

const iso = (ms: number): string => new Date(ms).toISOString();

export interface OneOffRequest {
  command: string;
  attach?: boolean;
  env?: Record<string, string>;
  force_no_tty?: boolean;
  size?: string;
  type?: string;
  time_to_live?: number;
}

function resolveSize(wanted: string | undefined): string {
  const size = findDynoSize(wanted ?? DEFAULT_ONE_OFF_SIZE);
  if (!size) throw invalidParams(`Invalid dyno size: ${wanted}.`);
  if (size.tier === 'private-space') {
    throw invalidParams(`${size.name} dynos are only available to apps in a Private Space.`);
  }
  return size.name;
}

/** `run.1234`: a random number, unique among the app's one-offs (finished ones included, for their logs' sake). */
function oneOffName(app: AppRecord, type: string): string {
  const taken = new Set(app.dynos.one_offs.map((record) => record.name));
  for (;;) {
    const name = `${type}.${randomInt(1000, 10_000)}`;
    if (!taken.has(name)) return name;
  }
}

/**
 * Creates a one-off dyno and records `dyno-create`. A detached process starts once the dyno has booted; an attached
 * one waits for its rendezvous client (see attachClient) and fails with R13 if none comes.
 */
export function createOneOff(ctx: SimulatorContext, app: AppRecord, request: OneOffRequest): OneOffDynoRecord {
  const size = resolveSize(request.size);
  const release = currentRelease(app);
  // What Heroku's runtime answers while an app's first release is not there yet (the CLI retries it).
  if (!release) throw new ApiError(409, 'conflict', 'No release found for this app yet.');
  const type = request.type ?? DEFAULT_ONE_OFF_TYPE;
  const attach = request.attach ?? false;
  const outcome = ctx.dynos.outcomes.resolve(parseCommand(request.command).command);

  const now = ctx.clock.now().getTime();
  const bootAt = now + ctx.time.realMs(BOOT_SECONDS * 1000);
  const attachWindow = Math.max(ctx.time.realMs(ATTACH_TIMEOUT_SECONDS * 1000), MIN_ATTACH_WINDOW_MS);
  const record: OneOffDynoRecord = {
    id: randomUUID(),
    name: oneOffName(app, type),
    type,
    command: request.command,
    size,
    attach,
    force_no_tty: request.force_no_tty ?? null,
    env: request.env ?? {},
    time_to_live: request.time_to_live ?? null,
    attach_secret: attach ? randomBytes(24).toString('hex') : null,
    release: { id: release.id, version: release.version },
    outcome,
    created_at: iso(now),
    boot_at: iso(bootAt),
    attach_deadline: attach ? iso(bootAt + attachWindow) : null,
    expires_at: request.time_to_live ? iso(now + ctx.time.realMs(request.time_to_live * 1000)) : null,
    process: attach
      ? null
      : { started_at: iso(bootAt), exits_at: iso(bootAt + ctx.time.realMs(outcome.duration_seconds * 1000)) },
    interrupt: null,
    exit_recorded: false,
  };
  app.dynos.one_offs.push(record);
  ctx.effects.record('dyno-create', app.name, {
    name: record.name,
    id: record.id,
    command: record.command,
    attach,
    type,
    size,
  });
  ctx.dynos.changed();
  return record;
}

/** A one-off that has not ended yet: only those exist for the API. */
export function isRunning(record: OneOffDynoRecord, now: number): boolean {
  return phaseAt(timeline(record), now) !== 'complete';
}

/**
 * The rendezvous client for `secret` has connected: the process starts now (or once booted). Undefined when no
 * running, not-yet-attached dyno has that secret; a secret is good for one attach.
 */
export function attachClient(
  ctx: SimulatorContext,
  secret: string,
): { app: AppRecord; record: OneOffDynoRecord } | undefined {
  const now = ctx.clock.now().getTime();
  for (const app of ctx.store.state.apps) {
    const record = app.dynos.one_offs.find((r) => r.attach_secret === secret);
    if (!record) continue;
    if (record.process || !isRunning(record, now)) return undefined;
    const start = Math.max(now, Date.parse(record.boot_at));
    record.process = {
      started_at: iso(start),
      exits_at: iso(start + ctx.time.realMs(record.outcome.duration_seconds * 1000)),
    };
    ctx.dynos.changed();
    return { app, record };
  }
  return undefined;
}

/** Ends a running one-off now: a stop request (SIGTERM) or its rendezvous client hanging up (SIGHUP). */
export function interruptOneOff(ctx: SimulatorContext, record: OneOffDynoRecord, reason: 'stop' | 'hangup'): void {
  const now = ctx.clock.now().getTime();
  if (!isRunning(record, now)) return;
  record.interrupt = { at: iso(now), reason };
  ctx.dynos.changed();
}

/** The record of one-off `dynoId` of app `appId`, as the state holds it now (a reset replaces the state). */
export function findOneOff(ctx: SimulatorContext, appId: string, dynoId: string): OneOffDynoRecord | undefined {
  return ctx.store.state.apps.find((app) => app.id === appId)?.dynos.one_offs.find((record) => record.id === dynoId);
}

export interface FormationDyno {
  name: string;
  formation: FormationRecord;
}

/** web.1 … web.N for every process type, following the formation's quantities. */
export function formationDynos(app: AppRecord): FormationDyno[] {
  return app.formation.flatMap((formation) =>
    Array.from({ length: formation.quantity }, (_, i) => ({ name: `${formation.type}.${i + 1}`, formation })),
  );
}

/** A restarted dyno is a new dyno under the old name, so its id changes with every restart. */
function formationDynoId(app: AppRecord, name: string): string {
  return stableId('dyno', app.id, name, app.dynos.restarts[name]?.at ?? '');
}

/** Restarts formation dynos: each is replaced by a new one that boots for a while. */
export function restartFormationDynos(ctx: SimulatorContext, app: AppRecord, dynos: readonly FormationDyno[]): void {
  const now = ctx.clock.now().getTime();
  const upAt = now + ctx.time.realMs(FORMATION_BOOT_SECONDS * 1000);
  for (const { name } of dynos) app.dynos.restarts[name] = { at: iso(now), up_at: iso(upAt) };
  ctx.dynos.changed();
}

export type DynoRef = { kind: 'formation'; dyno: FormationDyno } | { kind: 'one-off'; record: OneOffDynoRecord };

/** `{dyno}` path segments accept a dyno's name or id; finished one-offs are gone. */
export function findDyno(app: AppRecord, idOrName: string, now: number): DynoRef | undefined {
  const wanted = idOrName.toLowerCase();
  const dyno = formationDynos(app).find((d) => d.name === idOrName || formationDynoId(app, d.name) === wanted);
  if (dyno) return { kind: 'formation', dyno };
  const record = app.dynos.one_offs.find((r) => (r.name === idOrName || r.id === wanted) && isRunning(r, now));
  return record && { kind: 'one-off', record };
}

/** Running one-offs of the app. */
export function runningOneOffs(app: AppRecord, now: number): OneOffDynoRecord[] {
  return app.dynos.one_offs.filter((record) => isRunning(record, now));
}

export function formationDynoView(app: AppRecord, { name, formation }: FormationDyno, now: number) {
  const restart = app.dynos.restarts[name];
  const since = Math.max(
    Date.parse(formation.updated_at),
    Date.parse(app.released_at ?? formation.updated_at),
    restart ? Date.parse(restart.at) : 0,
  );
  const release = currentRelease(app);
  return {
    attach_url: null,
    command: formation.command,
    created_at: herokuTime(new Date(since)),
    id: formationDynoId(app, name),
    name,
    release: release ? { id: release.id, version: release.version } : null,
    app: appRef(app),
    size: formation.size,
    state: restart && now < Date.parse(restart.up_at) ? 'starting' : 'up',
    type: formation.type,
    updated_at: herokuTime(new Date(since)),
  };
}

export function oneOffView(
  ctx: SimulatorContext,
  app: AppRecord,
  record: OneOffDynoRecord,
  hostname: string,
  now: number,
) {
  const plan = timeline(record);
  const state = phaseAt(plan, now);
  const updated = state === 'up' && plan.start !== undefined ? plan.start : Date.parse(record.created_at);
  return {
    attach_url: record.attach_secret ? ctx.dynos.attachUrl(hostname, record.attach_secret) : null,
    command: record.command,
    created_at: herokuTime(new Date(record.created_at)),
    id: record.id,
    name: record.name,
    release: record.release,
    app: appRef(app),
    size: record.size,
    state,
    type: record.type,
    updated_at: herokuTime(new Date(updated)),
  };
}
