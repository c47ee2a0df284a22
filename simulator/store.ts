import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { notFound } from './errors';
import { type AppRecord, type SimulatorState, stateSchema } from './state';
import { withSeedPeople } from './state-upgrade';
import { describeIssues } from './validate';

/** Builds a fresh copy of the world a new or reset simulator starts from (seed.ts's buildSeed). */
export type SeedFactory = () => SimulatorState;

/**
 * Owns the simulated world. Handlers validate first, then mutate `state` and
 * call `save()`, so the file on disk never holds a half-applied request.
 */
export class Store {
  private constructor(
    public state: SimulatorState,
    private readonly seed: SeedFactory,
    private readonly statePath: string | undefined,
  ) {}

  /**
   * Loads `statePath` if it exists (failing loudly on a bad file), otherwise starts from `seed()`; `reset()` goes
   * back to `seed()`. The seed is passed in rather than imported, so the store does not depend on the seed's modules.
   */
  static open(seed: SeedFactory, statePath?: string): Store {
    if (statePath && existsSync(statePath)) return new Store(loadStateFile(statePath, seed), seed, statePath);
    const store = new Store(seed(), seed, statePath);
    store.save();
    return store;
  }

  /** Writes to a temporary file and renames it, so a crash never leaves a truncated state file. */
  save(): void {
    if (!this.statePath) return;
    mkdirSync(dirname(this.statePath), { recursive: true });
    const temporary = `${this.statePath}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(this.state, null, 2)}\n`);
    renameSync(temporary, this.statePath);
  }

  reset(): void {
    this.replace(this.seed());
  }

  /** A state document as the current schema expects it (one from before people existed gets the seed's people). */
  upgrade(raw: unknown): unknown {
    return withSeedPeople(raw, this.seed());
  }

  /** Swaps in a whole world (already validated against the state schema). */
  replace(state: SimulatorState): void {
    this.state = state;
    this.save();
  }

  /** `{app}` path segments accept the app's name or its UUID. */
  findApp(idOrName: string): AppRecord | undefined {
    return this.state.apps.find((app) => app.name === idOrName || app.id === idOrName.toLowerCase());
  }

  requireApp(idOrName: string): AppRecord {
    const app = this.findApp(idOrName);
    if (!app) throw notFound('app', "Couldn't find that app.");
    return app;
  }
}

function loadStateFile(statePath: string, seed: SeedFactory): SimulatorState {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(statePath, 'utf8'));
  } catch (error) {
    throw new Error(`Invalid simulator state file ${statePath}: ${(error as Error).message}`);
  }
  const result = stateSchema.safeParse(withSeedPeople(raw, seed()));
  if (!result.success) {
    throw new Error(`Invalid simulator state file ${statePath}: ${describeIssues(result.error)}`);
  }
  return result.data;
}
