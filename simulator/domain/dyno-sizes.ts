import { stableId } from '../ids';

/**
 * Heroku's Cedar dyno sizes. `tier` drives the platform rules the simulator
 * enforces: Eco/Basic cannot be mixed with professional sizes and run at most
 * one dyno per process type; Private/Shield sizes need a Private Space.
 */
export type DynoTier = 'eco' | 'basic' | 'professional' | 'private-space';

export interface DynoSize {
  id: string;
  name: string;
  tier: DynoTier;
}

const SIZES: ReadonlyArray<readonly [string, DynoTier]> = [
  ['Eco', 'eco'],
  ['Basic', 'basic'],
  ['Standard-1X', 'professional'],
  ['Standard-2X', 'professional'],
  ['Performance-M', 'professional'],
  ['Performance-L', 'professional'],
  ['Performance-L-RAM', 'professional'],
  ['Performance-XL', 'professional'],
  ['Performance-2XL', 'professional'],
  ...['S', 'M', 'L', 'L-RAM', 'XL', '2XL'].flatMap((suffix): Array<readonly [string, DynoTier]> => [
    [`Private-${suffix}`, 'private-space'],
    [`Shield-${suffix}`, 'private-space'],
  ]),
];

export const DYNO_SIZES: readonly DynoSize[] = SIZES.map(([name, tier]) => ({
  id: stableId('dyno-size', name),
  name,
  tier,
}));

export const DYNO_SIZE_NAMES = DYNO_SIZES.map((size) => size.name) as [string, ...string[]];

/** Looks a size up by id or by name; names match case-insensitively like the CLI's input. */
export function findDynoSize(idOrName: string): DynoSize | undefined {
  const wanted = idOrName.toLowerCase();
  return DYNO_SIZES.find((size) => size.id === wanted || size.name.toLowerCase() === wanted);
}

export function dynoSizeNamed(name: string): DynoSize {
  const size = findDynoSize(name);
  if (!size) throw new Error(`unknown dyno size ${name}`);
  return size;
}
