import type { CallLog } from './calls';
import type { Clock } from './clock';
import type { DataSettings } from './data-settings';
import type { DynoRuntime } from './dyno-runtime';
import type { EffectsRecorder } from './effects';
import type { Faults } from './faults';
import type { LogSessions } from './log-sessions';
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
  /** Heroku Postgres behaviour: transfer pace and failures (control API `/__simulator/data-api`). */
  dataApi: DataSettings;
  /** One-off dynos' outcomes and exits, and the rendezvous endpoint (control API `/__simulator/dyno-outcomes`). */
  dynos: DynoRuntime;
  /** Log sessions and their SSE streams. */
  logplex: LogSessions;
}
