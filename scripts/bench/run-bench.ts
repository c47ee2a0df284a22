// The bench's items, each turned into figures with the issue's targets.
import { Client, Connection } from '@temporalio/client';
import { LocalStack, type LocalStackOptions, type WorkerHandle } from '../local-stack';
import { benchDisasterRecovery } from './disaster-recovery';
import { count, figure, mebibytes, median, ratio, seconds, type Figure } from './figures';
import { benchFleet } from './fleet';
import { fixedPollerFigures, lagTargetMs } from './long-wait-figures';
import { benchCliStart } from './cli-start';
import { benchStepOverhead } from './step-overhead';
import { benchTestSuite } from './test-suite';
import { benchColdStart, benchResume } from './worker-start';
import path from 'node:path';

export const BENCH_ITEMS = ['1', '2', '3', '4', '5', '6', '7', '8', '9'];

export interface BenchOptions {
  items: string[];
  dir: string;
  log: (line: string) => void;
}

/** The simulator's speed for every timed run: Heroku's own pace (the seed's b016 took 7 s; rebuild_index 120 s). */
export const SIMULATOR_SPEED = 1;

export async function runBench(
  options: BenchOptions,
): Promise<{ figures: Figure[]; details: Record<string, unknown> }> {
  const figures: Figure[] = [];
  const details: Record<string, unknown> = {};
  const wants = (...items: string[]) => items.some((item) => options.items.includes(item));

  if (wants('1', '2', '3')) {
    await withStack(options, 'recovery', {}, async (stack, client) => {
      await startWorkers(stack, 1);
      const dr = await benchDisasterRecovery(stack, client, options.log);
      details.disasterRecovery = dr;
      figures.push(...disasterRecoveryFigures(dr));
    });
  }
  if (wants('4')) {
    await withStack(options, 'step', {}, async (stack, client) => {
      await startWorkers(stack, 1);
      const step = await benchStepOverhead(stack, client, options.log);
      details.stepOverhead = step;
      figures.push(
        figure(
          '4',
          'runbook step ÷ bare Temporal workflow, same activity',
          step.medianRunbookStepMs / step.medianBareMs,
          ratio,
          { text: '≤ 1.10', met: (n) => n <= 1.1 },
          `medians of ${step.runbookStepMs.length}: a maintenance config-var step ${seconds(step.medianRunbookStepMs)}, the bare workflow ${seconds(step.medianBareMs)} (server-side history times)`,
        ),
      );
    });
  }

  if (wants('5')) {
    await withStack(options, 'fleet', FLEET_STACK, async (stack, client) => {
      const [worker] = await startWorkers(stack, 1);
      const fleet = await benchFleet(stack, client, worker, options.log);
      details.fleet = fleet;
      const budget = `${FLEET_LIMIT.capacity} requests, refilled ${FLEET_LIMIT.refillPerMinute}/min`;
      figures.push(
        figure(
          '5a',
          `fleet: ${fleet.apps} apps × maintenance on+off, throughput`,
          fleet.runsPerMinute,
          (n) => `${n.toFixed(0)} runs/min`,
          undefined,
          `${fleet.succeeded}/${fleet.runs} runs succeeded in ${seconds(fleet.wallMs)}; ${fleet.herokuRequests} Heroku requests under a budget of ${budget}`,
        ),
        figure('5b', 'fleet: run latency p50', fleet.latencyMs.p50, seconds),
        figure('5c', 'fleet: run latency p95', fleet.latencyMs.p95, seconds),
        figure('5d', 'fleet: worker peak RSS', fleet.workerPeakRssBytes, mebibytes, {
          text: '≤ 400 MiB',
          met: (n) => n <= 400 * 2 ** 20,
        }),
        figure('5e', "fleet: 429s received (budget = simulator's limit)", fleet.rateLimited, count, {
          text: '0',
          met: (n) => n === 0,
        }),
        figure(
          '5f',
          'fleet: runs that failed',
          fleet.runs - fleet.succeeded,
          count,
          { text: '0', met: (n) => n === 0 },
          fleet.failures[0],
        ),
      );
    });
  }

  if (wants('6', '7')) {
    await withStack(options, 'workers', {}, async (stack, client) => {
      if (wants('6')) {
        const cold = await benchColdStart(stack);
        details.coldStart = cold;
        figures.push(
          figure(
            '6a',
            '`runbook worker` cold start (prebuilt bundle)',
            median(cold.runbookWorkerMs),
            seconds,
            { text: '≤ 1.50 s', met: (n) => n <= 1500 },
            `median of ${cold.runbookWorkerMs.length}: spawn → "worker ready", start-up checks (Heroku account, search attributes, audit store) included`,
          ),
          figure('6b', 'minimal worker, prebuilt bundle', median(cold.prebuiltMs), seconds),
          figure('6c', 'minimal worker, bundling at start', median(cold.bundlingMs), seconds),
        );
      }
      if (wants('7')) {
        const resume = await benchResume(stack, client);
        details.resume = resume;
        figures.push(
          figure(
            '7a',
            'resume after SIGKILL, killed while waiting for approval',
            median(resume.waitingMs),
            seconds,
            { text: '≤ 3.00 s', met: (n) => n <= 3000 },
            `median of ${resume.waitingMs.length}: new worker spawned as bob approves → the run's next Heroku request`,
          ),
          figure(
            '7b',
            'resume after SIGKILL, killed mid-wait',
            median(resume.midWaitMs),
            seconds,
            { text: '≤ 3.00 s', met: (n) => n <= 3000 },
            `median of ${resume.midWaitMs.length}: killed while watching a one-off dyno`,
          ),
        );
      }
    });
  }

  if (wants('9')) {
    const cli = await benchCliStart();
    details.cliStart = cli;
    for (const [i, run] of cli.entries())
      figures.push(
        figure(
          `9${'ab'[i] ?? i}`,
          `\`${run.command}\` start`,
          run.medianMs,
          seconds,
          { text: '≤ 0.30 s', met: (n) => n <= 300 },
          `median of ${run.runsMs.length}, peak RSS ${run.peakRssMiB} MiB`,
        ),
      );
  }

  if (wants('8')) {
    const suite = await benchTestSuite(path.join(options.dir, 'suite'), options.log);
    details.testSuite = suite;
    figures.push(
      figure(
        '8a',
        '`npm test` wall time (warm clone)',
        suite.wallMs,
        seconds,
        undefined,
        `${suite.files} files, ${suite.passed} passed, ${suite.failed} failed; jest itself ${seconds(suite.jestMs)}`,
      ),
      ...suite.slowest.map((file, i) => figure(`8.${i + 1}`, `  ${file.file}`, file.ms, seconds)),
    );
  }

  return { figures, details };
}

/**
 * The fleet's Heroku: Heroku's own limit (4,500 requests, refilled 75 a minute), which the simulator enforces, and
 * the workers' budget at its default, the same numbers: the fleet's ~4,000 requests come close to it, and no 429
 * may come back.
 */
const FLEET_LIMIT = { capacity: 4500, refillPerMinute: 75 };
const FLEET_STACK: Partial<LocalStackOptions> = {
  simulator: { speed: SIMULATOR_SPEED, rateLimit: FLEET_LIMIT },
};

async function withStack(
  options: BenchOptions,
  name: string,
  overrides: Partial<LocalStackOptions>,
  body: (stack: LocalStack, client: Client) => Promise<void>,
): Promise<void> {
  const stack = await LocalStack.start(path.join(options.dir, name), {
    taskQueue: `bench-${name}`,
    simulator: { speed: SIMULATOR_SPEED },
    ...overrides,
  });
  try {
    const connection = await Connection.connect({ address: stack.temporalAddress });
    try {
      await body(stack, new Client({ connection }));
    } finally {
      await connection.close();
    }
  } finally {
    await stack.stop();
  }
}

function disasterRecoveryFigures(dr: Awaited<ReturnType<typeof benchDisasterRecovery>>): Figure[] {
  const { engine, script } = dr;
  const index = engine.waits.find((wait) => wait.operation.kind === 'dyno' && wait.waitMs > 60_000);
  const threeSecondPolls = (waitMs: number) => fixedPollerFigures(waitMs).requests;
  const lagTarget = lagTargetMs;
  const long = dr.longTransfer;
  return [
    figure(
      '1',
      'DR wall time ÷ sum of Heroku operation times',
      engine.engineMs / dr.physicalLimitMs,
      ratio,
      { text: '≤ 1.05', met: (n) => n <= 1.05 },
      `engine ${seconds(engine.engineMs)} (approval wait of ${seconds(engine.approvalWaitMs)} left out) vs ${seconds(dr.physicalLimitMs)} of operations (${engine.operations.map((o) => `${o.name} ${seconds(o.endMs - o.startMs)}`).join(', ')})`,
    ),
    figure(
      '2',
      'DR: engine ÷ official heroku CLI script',
      engine.engineMs / script.wallMs,
      ratio,
      { text: '≤ 0.90', met: (n) => n <= 0.9 },
      `engine ${seconds(engine.engineMs)}, script of ${script.commands.length} heroku commands ${seconds(script.wallMs)}`,
    ),
    figure(
      '3a',
      'long transfer: requests, engine ÷ CLI (3 s polls)',
      long.engine.requests / long.cli.requests,
      ratio,
      { text: '≤ 0.25', met: (n) => n <= 0.25 },
      `a ${seconds(long.engine.waitMs)} capture: engine ${long.engine.requests} requests, heroku pg:backups:capture ${long.cli.requests}`,
    ),
    figure(
      '3b',
      'long transfer: engine detection lag',
      long.engine.lagMs,
      seconds,
      { text: `≤ ${seconds(lagTarget(long.engine.waitMs))}`, met: (n) => n <= lagTarget(long.engine.waitMs) },
      `the CLI's: ${long.cli.lagMs === null ? 'n/a' : seconds(long.cli.lagMs)} (its process exit included)`,
    ),
    ...(index
      ? [
          figure(
            '3c',
            'index rebuild wait: requests, engine ÷ 3 s polling',
            index.requests / threeSecondPolls(index.waitMs),
            ratio,
            { text: '≤ 0.25', met: (n) => n <= 0.25 },
            `${seconds(index.waitMs)} rebuild_index: engine ${index.requests} requests; polling every 3 s ${threeSecondPolls(index.waitMs)} (heroku run itself streams over rendezvous)`,
          ),
          figure('3d', 'index rebuild wait: engine detection lag', index.lagMs, seconds, {
            text: `≤ ${seconds(lagTarget(index.waitMs))}`,
            met: (n) => n <= lagTarget(index.waitMs),
          }),
        ]
      : []),
    figure(
      '',
      'DR Heroku requests: engine / script',
      engine.herokuRequests,
      count,
      undefined,
      `script: ${script.herokuRequests}`,
    ),
  ];
}

/** Starts `n` workers and waits until each says it is ready. */
export async function startWorkers(stack: LocalStack, n: number): Promise<WorkerHandle[]> {
  const workers = Array.from({ length: n }, () => stack.startWorker());
  for (const worker of workers) await stack.readyAt(worker);
  return workers;
}
