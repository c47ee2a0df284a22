// Item 5: a fleet. 200 simulated apps (copies of staging), each taken into maintenance and out again by the
// maintenance-on and maintenance-off runbooks, all 200 at once, on one worker; the simulator's rate limit and the
// worker's Heroku API budget set alike. Launched through the typed launch API with alice's identity proofs, as the
// CLI launches them.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import { IdentityProver } from '../../client/identity';
import { startRunbook, waitForRunbook } from '../../client/launch';
import { SEED_PEOPLE, type SimulatorState } from '../../simulator';
import { sleep, type LocalStack, type WorkerHandle } from '../local-stack';
import { percentile } from './figures';
import { readSimulatorRecords } from './timeline';

export const FLEET_APPS = 200;
const STAGING = 'csis-reconasia-bravo';

export interface FleetBench {
  apps: number;
  runs: number;
  succeeded: number;
  wallMs: number;
  runsPerMinute: number;
  latencyMs: { p50: number; p95: number };
  workerPeakRssBytes: number;
  herokuRequests: number;
  /** 429s Heroku (the simulator) answered the worker's token with. */
  rateLimited: number;
  failures: string[];
}

export const fleetAppName = (i: number) => `bench-fleet-${String(i + 1).padStart(3, '0')}`;

/** 200 copies of staging (config vars, formation, collaborators), with no add-ons, backups or dynos of their own. */
export async function seedFleet(simulatorUrl: string, apps = FLEET_APPS): Promise<void> {
  const { state } = await readSimulatorRecords(simulatorUrl);
  const staging = state.apps.find((app) => app.name === STAGING)!;
  const copies = Array.from({ length: apps }, (_, i) => ({
    ...structuredClone(staging),
    id: randomUUID(),
    name: fleetAppName(i),
    // The newest release only: 200 whole histories would be a state document of tens of MB.
    releases: staging.releases.slice(-1),
    addons: [],
    transfers: [],
    dynos: undefined,
  }));
  const seeded: SimulatorState = { ...state, apps: [...state.apps, ...copies] } as SimulatorState;
  const response = await fetch(`${simulatorUrl}/__simulator/seed`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(seeded),
  });
  if (!response.ok) throw new Error(`seeding the fleet: ${response.status} ${await response.text()}`);
}

export async function benchFleet(
  stack: LocalStack,
  client: Client,
  worker: WorkerHandle,
  log: (line: string) => void,
  apps = FLEET_APPS,
): Promise<FleetBench> {
  await seedFleet(stack.simulator.url, apps);
  const prover = IdentityProver.fromEnv(stack.cliEnv(SEED_PEOPLE.alice.token));
  const latencies: number[] = [];
  const failures: string[] = [];
  const started = Date.now();
  let peakRss = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peakRss = Math.max(peakRss, peakRssOf(worker.child.pid!));
      await sleep(250);
    }
  })();
  const launch = async (runbook: 'maintenance-on' | 'maintenance-off', app: string): Promise<boolean> => {
    const began = Date.now();
    const handle = await startRunbook(
      client,
      runbook,
      { app, reason: 'bench: fleet', operator: SEED_PEOPLE.alice.email },
      { taskQueue: stack.taskQueue, prover, workflowId: `bench-${runbook}-${app}-${began}` },
    );
    const outcome = await waitForRunbook(handle);
    latencies.push(Date.now() - began);
    if (outcome.status !== 'succeeded') failures.push(`${handle.workflowId}: ${outcome.error.message}`);
    return outcome.status === 'succeeded';
  };
  let done = 0;
  await Promise.all(
    Array.from({ length: apps }, async (_, i) => {
      const app = fleetAppName(i);
      if (await launch('maintenance-on', app)) await launch('maintenance-off', app);
      if (++done % 50 === 0) log(`fleet: ${done}/${apps} apps done`);
    }),
  );
  const wallMs = Date.now() - started;
  sampling = false;
  await sampler;
  peakRss = Math.max(peakRss, peakRssOf(worker.child.pid!));
  const { calls } = await readSimulatorRecords(stack.simulator.url);
  const workers = calls.filter((call) => call.sender !== null && Date.parse(call.receivedAt) >= started);
  return {
    apps,
    runs: latencies.length,
    succeeded: latencies.length - failures.length,
    wallMs,
    runsPerMinute: (latencies.length / wallMs) * 60_000,
    latencyMs: { p50: percentile(latencies, 50), p95: percentile(latencies, 95) },
    workerPeakRssBytes: peakRss,
    herokuRequests: workers.length,
    rateLimited: workers.filter((call) => call.status === 429).length,
    failures: failures.slice(0, 20),
  };
}

/** The process's peak resident set (VmHWM) so far, in bytes; 0 once it is gone. */
function peakRssOf(pid: number): number {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}
