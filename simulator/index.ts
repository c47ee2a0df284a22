import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CallLog } from './calls';
import { type Clock, systemClock } from './clock';
import type { SimulatorContext } from './context';
import { DataSettings, type DataSettingsValues } from './data-settings';
import { DynoRuntime } from './dyno-runtime';
import { EffectsRecorder } from './effects';
import { Faults } from './faults';
import { LogSessions } from './log-sessions';
import { DEFAULT_RATE_LIMIT, RateLimiter } from './rate-limit';
import { startRendezvous } from './rendezvous';
import { buildSeed } from './seed';
import { createApp } from './server';
import { Store } from './store';
import { SimulatedTime } from './time';

export type { CallRecord } from './calls';
export type { DataSettingsValues } from './data-settings';
export { ACCOUNT_EMAIL, CHINAPOWER_APP, PRODUCTION_APP, STAGING_APP, TEAM_NAME } from './seed';
export { SEED_PEOPLE } from './seed-people';
export type { Account, AppRecord, Effect, FormationRecord, ReleaseRecord, SimulatorState } from './state';
export type {
  AuthorizationRecord,
  CollaboratorRecord,
  PermissionName,
  Scope,
  TeamMemberRecord,
  TeamRecord,
} from './state-people';
export type { AddonRecord, Content, TransferScheduleRecord } from './state-addons';
export type { TransferRecord } from './state-transfers';

export const DEFAULT_SIMULATOR_TOKEN = 'simulator-token';

export interface SimulatorOptions {
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 0: a random free port. */
  port?: number;
  /**
   * The accepted API token. Default: DEFAULT_SIMULATOR_TOKEN, never an environment variable: HEROKU_API_KEY may hold
   * a real Heroku token, which the simulator must neither accept nor show.
   */
  token?: string;
  /** Persist state here: loaded if it exists, written atomically after every mutation. */
  statePath?: string;
  /** Defaults: capacity 4500, refillPerMinute 75. */
  rateLimit?: { capacity?: number; refillPerMinute?: number };
  /** Time control: simulated durations run this many times faster (default 1; 60 makes 10 minutes 10 s). */
  speed?: number;
  /** Seed of the PRNG behind probabilistic faults (default 1). */
  faultSeed?: number;
  /** Where the simulator reads the time (default: the system clock); tests pass one they can move. */
  clock?: Clock;
  /** Heroku Postgres behaviour (transfer pace, failures, restore drops schedule); see data-settings.ts for defaults. */
  dataApi?: Partial<DataSettingsValues>;
}

export interface RunningSimulator {
  /** e.g. 'http://127.0.0.1:41234' */
  url: string;
  port: number;
  token: string;
  /** The rendezvous server's self-signed certificate (PEM): give it to clients as NODE_EXTRA_CA_CERTS. */
  caCertPath: string;
  /** Closes the server and all keep-alive sockets promptly. */
  close(): Promise<void>;
}

/** Starts a Heroku Platform API simulator; rejects if the state file is unreadable or invalid. */
export async function startSimulator(opts: SimulatorOptions = {}): Promise<RunningSimulator> {
  const host = opts.host ?? '127.0.0.1';
  const token = opts.token ?? DEFAULT_SIMULATOR_TOKEN;
  const clock = opts.clock ?? systemClock;
  const store = Store.open(buildSeed, opts.statePath);
  const effects = new EffectsRecorder(store, clock);
  const dynos = new DynoRuntime(store, clock, effects);
  const ctx: SimulatorContext = {
    token,
    clock,
    store,
    effects,
    calls: new CallLog(clock),
    rateLimiter: new RateLimiter(
      {
        capacity: opts.rateLimit?.capacity ?? DEFAULT_RATE_LIMIT.capacity,
        refillPerMinute: opts.rateLimit?.refillPerMinute ?? DEFAULT_RATE_LIMIT.refillPerMinute,
      },
      clock,
    ),
    time: new SimulatedTime(opts.speed ?? 1),
    faults: new Faults(opts.faultSeed ?? 1),
    dataApi: new DataSettings(opts.dataApi),
    dynos,
    logplex: new LogSessions(store, clock, dynos),
  };
  const rendezvous = await startRendezvous(ctx, host);
  dynos.rendezvous = rendezvous;

  const server = createServer(createApp(ctx));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(async (error: unknown) => {
    await rendezvous.close();
    throw error;
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}`,
    port,
    token,
    caCertPath: rendezvous.certPath,
    close: async () => {
      // Open log streams and rendezvous sessions would otherwise keep their sockets (and the process) alive.
      ctx.logplex.close();
      await Promise.all([
        rendezvous.close(),
        new Promise<void>((resolve, reject) => {
          server.close((error) => (error ? reject(error) : resolve()));
          // Idle keep-alive sockets would otherwise hold close() open for seconds.
          server.closeAllConnections();
        }),
      ]);
    },
  };
}
