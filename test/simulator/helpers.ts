import { request } from 'node:http';
import Heroku from 'heroku-client';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '../../simulator';

/** API JSON as the tests see it; each test's assertions check its shape (heroku-client returns `any` too). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export const V3 = 'application/vnd.heroku+json; version=3';
export const ALFA = 'csis-reconasia-alfa';
export const BRAVO = 'csis-reconasia-bravo';
export const CHINAPOWER = 'chinapower';

/** A heroku-client pointed at the simulator, as the activities create it (Basic `:token`). */
export function herokuClient(sim: RunningSimulator): Heroku {
  return new Heroku({ host: sim.url, token: sim.token });
}

export interface RawResponse {
  status: number;
  headers: Headers;
  body: Json;
}

/** Raw fetch with Heroku's Accept and Bearer auth by default, for asserting on status and headers. */
export async function api(
  sim: RunningSimulator,
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  const response = await fetch(sim.url + path, {
    method: init.method ?? 'GET',
    headers: {
      Accept: V3,
      Authorization: `Bearer ${sim.token}`,
      'Content-Type': 'application/json',
      ...init.headers,
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? undefined : JSON.parse(text) };
}

/** The /__simulator control API. */
export async function control(sim: RunningSimulator, method: string, path: string, body?: unknown): Promise<Json> {
  const response = await fetch(`${sim.url}/__simulator${path}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`control ${method} ${path} failed: ${response.status} ${await response.text()}`);
  return response.json();
}

/** The rejection heroku-client produces for a non-2xx response. */
export async function herokuError(promise: Promise<unknown>): Promise<{ statusCode: number; body: Json }> {
  try {
    await promise;
  } catch (error) {
    return error as { statusCode: number; body: Json };
  }
  throw new Error('expected the request to fail');
}

/**
 * A GET through node:http, which sends exactly the given headers (fetch adds
 * `Cache-Control: no-cache` to conditional requests, hiding 304s).
 */
export function rawGet(sim: RunningSimulator, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${sim.url}${path}`, { headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * The usual lifecycle of a simulator test file: start one simulator (beforeAll), reset it before each test (then
 * run `afterReset`), close it (afterAll). `assign` hands the simulator to the file's own variable.
 */
export function useSimulator(
  assign: (sim: RunningSimulator) => void,
  options: SimulatorOptions = {},
  afterReset?: () => Promise<void>,
): void {
  let sim: RunningSimulator | undefined;
  beforeAll(async () => {
    sim = await startSimulator(options);
    assign(sim);
  });
  afterAll(async () => {
    await sim?.close();
  });
  beforeEach(async () => {
    await control(sim!, 'POST', '/reset');
    await afterReset?.();
  });
}
