import { ApplicationFailure, CancellationScope, isCancellation, patched, workflowInfo } from '@temporalio/workflow';
import { commandMarker, REBUILD_INDEX_COMMAND, type DynoRun, type RunCommandResult } from '../common/commands';
import type { ResolvedTarget } from '../common/environments';
import { describeDuration } from '../common/durations';
import { FailureTypes } from '../common/errors';
import type { RebuildSearchIndexInput, RunCommandInput } from '../common/inputs';
import { watchers } from './activities';
import { resolveTargetStep, runbook, type RunbookRun } from './runbook';
import type { StepHandle } from '../common/progress';

/** `heroku run:detached -- <command>`, waited for: fails with the exit status and last lines if it fails. */
export async function runCommand(input: RunCommandInput): Promise<RunCommandResult> {
  return runbook('run-command', input, async (run, parsed) => {
    declare(run);
    const target = await resolveTargetStep(run, parsed);
    await run.seekApproval('run-command', [
      `Run \`${parsed.command}\` in a detached one-off dyno (it may change anything the app can)`,
    ]);
    return runOneOff(run, target, parsed.command, timeoutSeconds(parsed), parsed.timing);
  });
}

/** The runbook's `heroku run python manage.py rebuild_index` — needed after every restore. */
export async function rebuildSearchIndex(input: RebuildSearchIndexInput): Promise<RunCommandResult> {
  return runbook('rebuild-search-index', input, async (run, parsed) => {
    declare(run);
    const target = await resolveTargetStep(run, parsed);
    return runOneOff(run, target, REBUILD_INDEX_COMMAND, timeoutSeconds(parsed), parsed.timing);
  });
}

function timeoutSeconds(input: { timeoutMinutes?: number; timing?: { commandTimeoutSeconds?: number } }): number {
  return input.timing?.commandTimeoutSeconds ?? (input.timeoutMinutes ?? 60) * 60;
}

function declare(run: RunbookRun): void {
  run.declare([
    { name: 'resolve', title: 'Resolve the app' },
    { name: 'approval', title: 'Approval by a second person (where the environment asks for it)' },
    { name: 'run', title: 'Run the command in a detached one-off dyno and wait for it' },
  ]);
}

async function runOneOff(
  run: RunbookRun,
  target: ResolvedTarget,
  command: string,
  timeoutSeconds: number,
  timing?: { heartbeatTimeoutSeconds?: number },
): Promise<RunCommandResult> {
  const app = target.app;
  const dyno = await run.step('run', (step) =>
    runDetached(run, step, { app, command, markerStep: 'run', timeoutSeconds, timing }),
  );
  return {
    runbook: run.name as RunCommandResult['runbook'],
    app,
    environment: target.environment,
    command,
    dyno,
    operator: run.operator,
    summary: `\`${command}\` succeeded on ${app} (${dyno.name}, exit status 0).`,
  };
}

export interface DetachedCommand {
  app: string;
  command: string;
  /** Names the step in the dyno's command line, so a retried start finds the dyno it already started. */
  markerStep: string;
  timeoutSeconds: number;
  timing?: { heartbeatTimeoutSeconds?: number };
}

/**
 * `heroku run:detached`, once per step, waited for: fails with the exit status and the last log lines if the
 * command fails; stopped (and failed) when it runs past its timeout or the run is cancelled.
 */
export async function runDetached(
  run: RunbookRun,
  step: StepHandle,
  { app, command, markerStep, timeoutSeconds, timing }: DetachedCommand,
): Promise<DynoRun> {
  const dynos = watchers(timing);
  const { workflowId, runId } = workflowInfo();
  // A change runs to its end even when the run is cancelled meanwhile: the cancellation then reaches the watch below,
  // which stops the dyno — it never goes on running unwatched.
  const { name } = await run.change(
    'startOneOffDyno',
    {
      app,
      command,
      marker: commandMarker(workflowId, runId, markerStep),
      // Heroku stops it too if nobody is left to: a little after our own timeout.
      timeToLiveSeconds: timeoutSeconds + 300,
    },
    {
      intent: `run \`${command}\` in a detached one-off dyno on ${app}`,
      details: { command },
      done: ({ name, adopted }) => ({
        summary: `started \`${command}\` in ${name}${adopted ? ' (found it started by an earlier attempt)' : ''}`,
        details: { dyno: name, adopted },
      }),
    },
    { timing },
  );
  let watched: DynoRun;
  try {
    watched = await CancellationScope.withTimeout(`${timeoutSeconds} seconds`, async () => {
      let current: DynoRun = { name, command, state: 'starting', exitStatus: null, lastLines: [] };
      while (current.state !== 'exited') {
        step.detail(`${name}: ${current.state}`);
        current = await dynos.watchOneOffDyno({ app, name, command });
      }
      return current;
    });
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // Timed out or cancelled: the dyno must not go on running unwatched. Stopping what this run started is safe
    // even when its lock was broken.
    await run.change(
      'stopOneOffDyno',
      { app, name },
      {
        intent: `stop ${name} (\`${command}\`) on ${app}`,
        details: { dyno: name, command },
        done: ({ stopped }) => ({
          summary: stopped ? `stopped ${name} (\`${command}\`)` : `${name} had already exited`,
          details: { stopped },
        }),
      },
      { despiteBrokenLock: true },
    );
    if (CancellationScope.current().consideredCancelled) throw err;
    throw ApplicationFailure.create({
      type: FailureTypes.CommandTimedOut,
      nonRetryable: true,
      message: `\`${command}\` ran longer than ${describeDuration(timeoutSeconds)} in ${name}; it was stopped. Look at \`heroku logs --dyno ${name} -a ${app}\`.`,
    });
  }
  // On the record with its exit status: the change record said only that it started. (Patched: runs that began on
  // an older worker replay without it.)
  if (patched('audit-dyno-exit'))
    await run.auditSoon(
      'notice',
      `\`${command}\` in ${name} ${watched.exitStatus === null ? 'ended without an exit status in its logs' : `exited with status ${watched.exitStatus}`}`,
      { activity: 'watchOneOffDyno', dyno: name, command, exitStatus: watched.exitStatus },
    );
  if (watched.exitStatus !== 0) {
    throw ApplicationFailure.create({
      type: FailureTypes.CommandFailed,
      nonRetryable: true,
      message: `\`${command}\` ${watched.exitStatus === null ? 'ended without an exit status in its logs' : `exited with status ${watched.exitStatus}`} in ${name}; last log lines: ${watched.lastLines.join(' | ')}`,
      details: [watched],
    });
  }
  step.detail(`${name}: exited with status 0`);
  return watched;
}
