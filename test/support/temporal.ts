import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import type { ActivityDependencies } from '../../activities';
import { createRunbookWorker } from '../../worker/worker';

let runtimeInstalled = false;

/** Connections to the suite's dev server (started by global-setup.ts). */
export async function connectTestServer(): Promise<{
  client: Client;
  nativeConnection: NativeConnection;
  close(): Promise<void>;
}> {
  const address = process.env.RUNBOOK_TEST_TEMPORAL_ADDRESS;
  if (!address)
    throw new Error('RUNBOOK_TEST_TEMPORAL_ADDRESS is not set: run tests through jest (globalSetup starts Temporal).');
  if (!runtimeInstalled) {
    // Runbook failures are expected in tests and asserted on; the SDK's warnings about them are noise.
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    runtimeInstalled = true;
  }
  const connection = await Connection.connect({ address });
  const nativeConnection = await NativeConnection.connect({ address });
  return {
    client: new Client({ connection }),
    nativeConnection,
    async close() {
      await connection.close();
      await nativeConnection.close();
    },
  };
}

export function uniqueTaskQueue(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** A runbook worker on its own task queue, running the suite's workflow bundle. */
export function createTestWorker(
  nativeConnection: NativeConnection,
  taskQueue: string,
  activities: ActivityDependencies,
): Promise<Worker> {
  return createRunbookWorker({
    connection: nativeConnection,
    taskQueue,
    workflowBundlePath: process.env.RUNBOOK_TEST_WORKFLOW_BUNDLE,
    activities,
  });
}

/**
 * A run's whole history as text, with every payload decoded: what anyone with UI or API access could read.
 * Tests search it for secrets.
 */
export async function readableHistory(
  client: import('@temporalio/client').Client,
  workflowId: string,
): Promise<string> {
  const { historyToJSON } = await import('@temporalio/common/lib/proto-utils');
  const json = historyToJSON(await client.workflow.getHandle(workflowId).fetchHistory());
  const payloads = [...json.matchAll(/"data":\s*"([A-Za-z0-9+/=]+)"/g)].map(([, data]) =>
    Buffer.from(data, 'base64').toString(),
  );
  return `${json}\n${payloads.join('\n')}`;
}
