import type { CallLog } from './calls';
import type { Clock } from './clock';
import type { EffectsRecorder } from './effects';
import type { Faults } from './faults';
import type { RateLimiter } from './rate-limit';
import type { Store } from './store';
import type { SimulatedTime } from './time';

/** What every route and control handler gets: the shared services of one simulator instance. */
export interface SimulatorContext {
  /** The API token the simulator accepts. */
  token: string;
  clock: Clock;
  store: Store;
  effects: EffectsRecorder;
  calls: CallLog;
  rateLimiter: RateLimiter;
  /** Time control: simulated durations run `speed` times faster. */
  time: SimulatedTime;
  /** Injected faults (control API `/__simulator/faults`). */
  faults: Faults;
}
