import Heroku from 'heroku-client';
import { DEFAULT_SIMULATOR_TOKEN, startSimulator, type RunningSimulator, type SimulatorOptions } from '../../simulator';

export interface Effect {
  seq: number;
  kind: string;
  app: string;
  [detail: string]: unknown;
}

export interface Call {
  seq: number;
  method: string;
  path: string;
  /** When it arrived, to the millisecond (ISO 8601). */
  receivedAt?: string;
  status: number;
  body?: unknown;
  /** The engine's Runbook-Activity header: workflow ID, run ID, activity ID and type, percent-encoded. */
  sender?: string | null;
}

/** A simulator for one test file, with readers for its control API. */
export class TestSimulator {
  private constructor(readonly sim: RunningSimulator) {}

  /** `options` e.g. a `clock` the test moves, to expire OAuth authorizations exactly. */
  static async start(options: SimulatorOptions = {}): Promise<TestSimulator> {
    return new TestSimulator(await startSimulator({ port: 0, token: DEFAULT_SIMULATOR_TOKEN, ...options }));
  }

  get url(): string {
    return this.sim.url;
  }

  get token(): string {
    return this.sim.token;
  }

  /**
   * A heroku-client logged in to the simulator, for reading the state a runbook left: as the service account, or
   * as a person with their token (`SEED_PEOPLE.alice.token`) or one minted for them.
   */
  api(token: string = this.sim.token): Heroku {
    return new Heroku({ host: this.sim.url, token });
  }

  async control<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.sim.url}/__simulator/${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok)
      throw new Error(`simulator control ${method} ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }

  reset(): Promise<unknown> {
    return this.control('POST', 'reset');
  }

  effects(): Promise<Effect[]> {
    return this.control('GET', 'effects');
  }

  calls(): Promise<Call[]> {
    return this.control('GET', 'calls');
  }

  close(): Promise<void> {
    return this.sim.close();
  }
}
