import { proxyActivities } from '@temporalio/workflow';
import type { RunbookActivities } from '../activities';
import { describeProgress, describeTransfer, type CaptureBackupResult, type ListBackupsResult, type TransferSummary } from '../common/backups';
import { CaptureBackupInput, ListBackupsInput } from '../common/inputs';
import { parseRunbookInput } from '../common/validation';
import { heroku } from './activities';
import { runbook, type RunbookRun, type StepHandle } from './runbook';

/**
 * Starting a transfer is one short call, made at most once per step (the activity adopts what an earlier attempt
 * started). Watching heartbeats while it polls: a worker that dies mid-watch is noticed within the heartbeat
 * timeout and another attempt carries on watching.
 */
const transfers = proxyActivities<RunbookActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
});

/** Waits for a transfer to finish, keeping the step's detail current ("b017: 42 % of 9.6 MB"). */
async function waitForTransfer(app: string, started: TransferSummary, step: StepHandle, verb: string): Promise<TransferSummary> {
  let transfer = started;
  while (transfer.status === 'pending' || transfer.status === 'running') {
    step.detail(`${verb} ${transfer.name}: ${describeProgress(transfer)}`);
    transfer = await transfers.watchTransfer({ app, uuid: transfer.uuid });
  }
  step.detail(describeTransfer(transfer));
  return transfer;
}

async function resolve(run: RunbookRun, input: { environment?: string; app?: string }) {
  const target = await run.step('resolve', () => heroku.resolveTarget({ environment: input.environment, app: input.app }));
  run.setTarget(target);
  return target;
}

/** `heroku pg:backups:capture`: takes a backup, waits for it, returns its name (bNNN) and size. */
export async function captureBackup(input: CaptureBackupInput): Promise<CaptureBackupResult> {
  return runbook('capture-backup', input, async (run) => {
    run.declare([
      { name: 'resolve', title: 'Resolve the app' },
      { name: 'database', title: 'Find the database' },
      { name: 'capture', title: 'Capture a backup' },
    ]);
    const parsed = parseRunbookInput(run.name, CaptureBackupInput, input);
    const target = await resolve(run, parsed);
    const database = await run.step('database', async (step) => {
      const found = await heroku.resolveDatabase({ app: target.app, attachment: parsed.database ?? 'DATABASE_URL' });
      step.detail(`${found.attachment}_URL: ${found.addonName} (${found.plan})`);
      return found;
    });
    const backup = await run.step('capture', async (step) => {
      const started = await transfers.startBackupCapture({ database, stepStartedAt: new Date().toISOString() });
      await run.audit('change', `started backup ${started.name} of ${database.attachment}_URL`, { backup: started.name, database: database.addonName });
      return waitForTransfer(database.appName, started, step, 'capturing');
    });
    return {
      runbook: 'capture-backup',
      app: target.app,
      environment: target.environment,
      database: `${database.attachment}_URL`,
      backup,
      operator: run.operator,
      summary: `Backup ${describeTransfer(backup)} of ${target.app}'s ${database.attachment}_URL is complete.`,
    };
  });
}

/** `heroku pg:backups`: read-only. */
export async function listBackups(input: ListBackupsInput): Promise<ListBackupsResult> {
  return runbook('list-backups', input, async (run) => {
    run.declare([
      { name: 'resolve', title: 'Resolve the app' },
      { name: 'list', title: 'List backups and restores' },
    ]);
    const target = await resolve(run, parseRunbookInput(run.name, ListBackupsInput, input));
    const all = await run.step('list', () => heroku.listTransfers({ app: target.app }));
    const backups = all.filter((t) => t.kind === 'backup' || t.kind === 'scheduled-backup');
    const restores = all.filter((t) => t.kind === 'restore');
    const latest = backups.find((t) => t.status === 'succeeded');
    return {
      runbook: 'list-backups',
      app: target.app,
      environment: target.environment,
      backups,
      restores,
      summary: `${target.app}: ${backups.length} backups${latest ? `, latest good one ${describeTransfer(latest)} finished ${latest.finishedAt}` : ''}; ${restores.length} restores.`,
    };
  });
}
