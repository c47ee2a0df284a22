import { type Clock, herokuTime } from './clock';
import type { Effect } from './state';
import type { Store } from './store';

/**
 * Records side effects the simulated platform actually applied (a release
 * created, maintenance toggled, a process type rescaled …), as opposed to the
 * requests that asked for them. Tests and benchmarks assert on this log.
 * Effects live in the state so they persist and reset together with it.
 */
export class EffectsRecorder {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  record(kind: string, app: string, detail: Record<string, unknown> = {}): Effect {
    const effects = this.store.state.effects;
    const seq = (effects.at(-1)?.seq ?? 0) + 1;
    const effect: Effect = { seq, time: herokuTime(this.clock.now()), kind, app, ...detail };
    effects.push(effect);
    return effect;
  }

  list(): readonly Effect[] {
    return this.store.state.effects;
  }
}
