// Item 4: what a runbook adds around one change. The same activity (setting staging's MAINTENANCE_MODE, a release on
// Heroku) is run as a step of the maintenance-on/off runbooks — intent and outcome in the audit trail, progress, the
// lock held — and by a bare Temporal workflow that calls it and nothing else; both timed by the server's history.
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { resolveTarget } from '../../common/targets';
import { openAuditLog } from '../../lib/audit/open-audit-log';
import { PACKAGE_ROOT } from '../../lib/paths';
import { loadRunbookConfig } from '../../lib/runbook-config';
import { aliceRunsToSuccess } from './operators';
import type { LocalStack } from '../local-stack';
import { median } from './figures';
import { readRunHistory, stepWindowsMs } from './timeline';

const BARE_TASK_QUEUE = 'bench-bare';

export interface StepOverheadBench {
  iterations: number;
  runbookStepMs: number[];
  bareMs: number[];
  medianRunbookStepMs: number;
  medianBareMs: number;
}

export async function benchStepOverhead(
  stack: LocalStack,
  client: Client,
  log: (line: string) => void,
  iterations = 10,
): Promise<StepOverheadBench> {
  const { config, source } = loadRunbookConfig(path.join(PACKAGE_ROOT, 'config', 'environments.json'));
  const target = resolveTarget(config, source, { environment: 'staging' });
  const audit = openAuditLog(path.join(stack.dir, 'bare-audit.db'));
  const connection = await NativeConnection.connect({ address: stack.temporalAddress });
  const worker = await Worker.create({
    connection,
    taskQueue: BARE_TASK_QUEUE,
    workflowsPath: require.resolve('./workflows/bare'),
    activities: createActivities({
      heroku: { apiUrl: stack.simulator.url, dataApiUrl: stack.simulator.url, apiKey: stack.simulator.token },
      config,
      configSource: source,
      audit,
    }),
  });
  const runbookStepMs: number[] = [];
  const bareMs: number[] = [];
  try {
    await worker.runUntil(async () => {
      for (let i = 0; i < iterations; i++) {
        for (const on of [true, false]) {
          const runbook = on ? 'maintenance-on' : 'maintenance-off';
          const workflowId = `bench-step-${runbook}-${Date.now()}`;
          await aliceRunsToSuccess(stack, { runbook, environment: 'staging', reason: 'bench', workflowId });
          runbookStepMs.push(...stepWindowsMs(await readRunHistory(client, workflowId), 'setMaintenanceConfigVar'));
        }
        // Its second call, mid-workflow, is the one compared (its first includes the workflow's own first task).
        const bareId = `bench-bare-${Date.now()}`;
        await client.workflow.execute('bareMaintenanceConfigVar', {
          taskQueue: BARE_TASK_QUEUE,
          workflowId: bareId,
          args: [[true, false].map((on) => ({ app: target.app, settings: target.maintenance, on }))],
        });
        const [, second] = stepWindowsMs(await readRunHistory(client, bareId), 'setMaintenanceConfigVar');
        if (second !== undefined) bareMs.push(second);
      }
    });
  } finally {
    await connection.close();
    await audit.close();
  }
  log(`step overhead: ${runbookStepMs.length} runbook steps, ${bareMs.length} bare workflows`);
  return {
    iterations,
    runbookStepMs,
    bareMs,
    medianRunbookStepMs: median(runbookStepMs),
    medianBareMs: median(bareMs),
  };
}
