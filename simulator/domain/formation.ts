import { herokuTime } from '../clock';
import type { SimulatorContext } from '../context';
import { invalidParams, notFound } from '../errors';
import type { AppRecord, FormationRecord } from '../state';
import { appRef } from './apps';
import { DYNO_SIZES, type DynoSize, dynoSizeNamed, findDynoSize } from './dyno-sizes';

/** Heroku's default cap on dynos per process type (Eco and Basic are capped at 1). */
const MAX_QUANTITY = 100;

export function formationView(app: AppRecord, formation: FormationRecord) {
  const size = dynoSizeNamed(formation.size);
  return {
    id: formation.id,
    type: formation.type,
    quantity: formation.quantity,
    size: formation.size,
    dyno_size: { id: size.id, name: size.name },
    command: formation.command,
    app: appRef(app),
    created_at: formation.created_at,
    updated_at: formation.updated_at,
  };
}

/** `{type}` path segments accept the process type or the formation's UUID. */
export function requireFormation(app: AppRecord, typeOrId: string): FormationRecord {
  const formation = app.formation.find((f) => f.type === typeOrId || f.id === typeOrId.toLowerCase());
  if (!formation) throw notFound('formation', `Couldn't find that process type (${typeOrId}).`);
  return formation;
}

/**
 * One requested change. The CLI sends `quantity` as a string that may be
 * relative (`"+1"`, `"-1"`) and the size as `size`; the schema documents a
 * number and `dyno_size: {id | name}`. All forms are accepted.
 */
export interface ScaleRequest {
  type: string;
  quantity?: number | string;
  size?: string;
  dyno_size?: { id?: string; name?: string };
}

interface Target {
  formation: FormationRecord;
  quantity: number;
  size: string;
}

function resolveQuantity(type: string, requested: number | string, current: number): number {
  if (typeof requested === 'number') {
    if (!Number.isInteger(requested) || requested < 0) {
      throw invalidParams(`Invalid params: quantity for ${type} must be a non-negative integer.`);
    }
    return requested;
  }
  const match = /^\s*([+-]?)(\d+)\s*$/.exec(requested);
  if (!match) {
    throw invalidParams(`Invalid params: quantity for ${type} must be an integer or +N/-N, got "${requested}".`);
  }
  const amount = Number(match[2]);
  const quantity = match[1] === '+' ? current + amount : match[1] === '-' ? current - amount : amount;
  if (quantity < 0) {
    throw invalidParams(
      `Cannot scale ${type} to ${quantity} dynos: quantity must be 0 or more (currently ${current}).`,
    );
  }
  return quantity;
}

function resolveSize(type: string, request: ScaleRequest): DynoSize | undefined {
  const wanted = request.dyno_size?.id ?? request.dyno_size?.name ?? request.size;
  if (wanted === undefined) return undefined;
  const size = findDynoSize(wanted);
  if (!size) {
    const names = DYNO_SIZES.filter((s) => s.tier !== 'private-space').map((s) => s.name);
    throw invalidParams(`Invalid dyno size for ${type}: ${wanted}. Valid sizes are ${names.join(', ')}.`);
  }
  if (size.tier === 'private-space') {
    throw invalidParams(`${size.name} dynos are only available to apps in a Private Space.`);
  }
  return size;
}

/** Platform rules that hold for the formation as a whole after the change. */
function checkFormation(targets: readonly Target[]): void {
  const tiers = new Set(targets.map((t) => dynoSizeNamed(t.size).tier));
  if (tiers.size > 1) {
    throw invalidParams(
      'Cannot mix Eco or Basic dynos with other dyno sizes; scale every process type to the same tier.',
    );
  }
  for (const { formation, quantity, size } of targets) {
    const tier = dynoSizeNamed(size).tier;
    if ((tier === 'eco' || tier === 'basic') && quantity > 1) {
      throw invalidParams(`Cannot scale ${formation.type} to more than 1 ${size} size dynos per process type.`);
    }
    if (quantity > MAX_QUANTITY) {
      throw invalidParams(`Cannot scale ${formation.type} to more than ${MAX_QUANTITY} dynos per process type.`);
    }
  }
}

/**
 * Validates every request against the whole formation before touching
 * anything (a batch is all-or-nothing), then applies it and records one
 * `formation` effect per process type that actually changed. Scaling never
 * creates a release. Returns the formations named in the requests.
 */
export function scaleFormation(
  ctx: SimulatorContext,
  app: AppRecord,
  requests: readonly ScaleRequest[],
): FormationRecord[] {
  const targets = new Map<FormationRecord, Target>(
    app.formation.map((f) => [f, { formation: f, quantity: f.quantity, size: f.size }]),
  );
  const named: FormationRecord[] = [];
  for (const request of requests) {
    const formation = requireFormation(app, request.type);
    const target = targets.get(formation)!;
    const size = resolveSize(formation.type, request);
    if (size) target.size = size.name;
    if (request.quantity !== undefined) {
      target.quantity = resolveQuantity(formation.type, request.quantity, target.quantity);
    }
    if (!named.includes(formation)) named.push(formation);
  }
  checkFormation([...targets.values()]);

  const now = herokuTime(ctx.clock.now());
  for (const { formation, quantity, size } of targets.values()) {
    if (formation.quantity === quantity && formation.size === size) continue;
    const before = { quantity: formation.quantity, size: formation.size };
    formation.quantity = quantity;
    formation.size = size;
    formation.updated_at = now;
    ctx.effects.record('formation', app.name, { type: formation.type, before, after: { quantity, size } });
  }
  return named;
}
