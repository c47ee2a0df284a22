import type { CallLog } from './calls';
import type { Clock } from './clock';
import type { EffectsRecorder } from './effects';
import type { RateLimiter } from './rate-limit';
import type { Store } from './store';

/** What every route and control handler gets: the shared services of one simulator instance. */
export interface SimulatorContext {
  /** The API token the simulator accepts. */
  token: string;
  clock: Clock;
  store: Store;
  effects: EffectsRecorder;
  calls: CallLog;
  rateLimiter: RateLimiter;
}
