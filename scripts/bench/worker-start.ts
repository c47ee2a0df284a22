// Items 6 and 7: how fast a worker is up, and how fast a run goes on after its worker is SIGKILLed.
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { approvalQuery } from '../../common/messages';
import { sleep, type LocalStack } from '../local-stack';
import { aliceRuns, bobApproves } from './operators';
import { readRunHistory, readSimulatorRecords, sentBy } from './timeline';

export interface ColdStartBench {
  /** `runbook worker` (prebuilt bundle, start-up checks included): spawn → "worker ready". */
  runbookWorkerMs: number[];
  /** The same minimal worker program, workflows from the prebuilt bundle vs bundled with webpack at start. */
  prebuiltMs: number[];
  bundlingMs: number[];
}

export async function benchColdStart(stack: LocalStack, runs = 5): Promise<ColdStartBench> {
  const runbookWorkerMs: number[] = [];
  const prebuiltMs: number[] = [];
  const bundlingMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const spawned = Date.now();
    const worker = stack.startWorker();
    runbookWorkerMs.push((await stack.readyAt(worker)) - spawned);
    await stack.stopWorker(worker);
    prebuiltMs.push(await minimalWorker(stack, 'prebuilt'));
    bundlingMs.push(await minimalWorker(stack, 'bundle'));
  }
  return { runbookWorkerMs, prebuiltMs, bundlingMs };
}

function minimalWorker(stack: LocalStack, mode: 'prebuilt' | 'bundle'): Promise<number> {
  return new Promise((resolve, reject) => {
    const spawned = Date.now();
    const child = spawn(
      process.execPath,
      [path.join(__dirname, 'bundling-worker.js'), mode, stack.temporalAddress, `bench-cold-${mode}`],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((candidate) => candidate.startsWith('{'));
      if (code !== 0 || !line) reject(new Error(`the ${mode} worker failed (exit ${code}): ${err.slice(-1500)}`));
      else resolve((JSON.parse(line) as { ready: number }).ready - spawned);
    });
  });
}

export interface ResumeBench {
  /**
   * Killed while the run waited for its approval (no task of its own running): a new worker is started as bob
   * approves, and the time runs from its spawn to the run's next Heroku request. The run's next workflow task was
   * bound to the dead worker's sticky queue: this is what the sticky queue timeout governs.
   */
  waitingMs: number[];
  /** Killed while watching a one-off dyno: new worker spawned → the watch's next attempt asking Heroku (heartbeats). */
  midWaitMs: number[];
}

export async function benchResume(stack: LocalStack, client: Client, runs = 3): Promise<ResumeBench> {
  const waitingMs: number[] = [];
  const midWaitMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    waitingMs.push(await resumeAfterApproval(stack, client));
    midWaitMs.push(await resumeMidWait(stack, client));
  }
  return { waitingMs, midWaitMs };
}

/** A production disaster recovery waiting for bob; its worker dies; a new one starts as he approves. */
async function resumeAfterApproval(stack: LocalStack, client: Client): Promise<number> {
  const worker = stack.startWorker();
  await stack.readyAt(worker);
  const workflowId = `bench-resume-approval-${Date.now()}`;
  const launched = aliceRuns(stack, {
    runbook: 'disaster-recovery',
    environment: 'production',
    flags: ['--backup', 'b016'],
    reason: 'bench: resume',
    workflowId,
    detach: true,
  });
  await until(
    async () =>
      (
        await client.workflow
          .getHandle(workflowId)
          .query(approvalQuery)
          .catch(() => null)
      )?.status === 'waiting',
  );
  await stack.kill(worker);
  const killedAt = Date.now();
  const spawned = Date.now();
  const next = stack.startWorker();
  const approved = bobApproves(stack, workflowId, 'bench: resume');
  const resumedAt = await nextHerokuRequestAfter(stack, workflowId, killedAt);
  await approved;
  // Enough measured: the recovery is cancelled (it undoes what it did) and waited for.
  await client.workflow.getHandle(workflowId).cancel();
  await client.workflow
    .getHandle(workflowId)
    .result()
    .catch(() => undefined);
  await launched;
  await stack.stopWorker(next);
  return resumedAt - spawned;
}

/** run-command on staging (migrate, 20 s): its worker dies 3 s into watching the dyno; a new one starts at once. */
async function resumeMidWait(stack: LocalStack, client: Client): Promise<number> {
  const worker = stack.startWorker();
  await stack.readyAt(worker);
  const workflowId = `bench-resume-watch-${Date.now()}`;
  const launched = aliceRuns(stack, {
    runbook: 'run-command',
    environment: 'staging',
    flags: ['--command', 'python manage.py migrate --noinput'],
    reason: 'bench: resume',
    workflowId,
  });
  let watchSeenAt: number | null = null;
  await until(async () => {
    const history = await readRunHistory(client, workflowId).catch(() => null);
    if (history?.activities.some((activity) => activity.type === 'watchOneOffDyno')) watchSeenAt ??= Date.now();
    return watchSeenAt !== null && Date.now() - watchSeenAt > 3000;
  });
  await stack.kill(worker);
  const killedAt = Date.now();
  const spawned = Date.now();
  const next = stack.startWorker();
  const resumedAt = await nextHerokuRequestAfter(stack, workflowId, killedAt);
  await launched;
  await stack.stopWorker(next);
  return resumedAt - spawned;
}

async function until(condition: () => Promise<boolean>, deadlineMs = 120_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('the run did not get where the benchmark waits for it');
    await sleep(20);
  }
}

/**
 * When the run next asked Heroku anything after `after`: the simulator's log names the sending run. Not Temporal's
 * ActivityTaskStarted event, which for an activity with retries is written only once the attempt ends.
 */
async function nextHerokuRequestAfter(stack: LocalStack, workflowId: string, after: number): Promise<number> {
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    const { calls } = await readSimulatorRecords(stack.simulator.url);
    const next = calls.find((call) => sentBy(call, workflowId) && Date.parse(call.receivedAt) > after);
    if (next) return Date.parse(next.receivedAt);
    await sleep(50);
  }
  throw new Error(`${workflowId} did not go on after its worker was killed`);
}
