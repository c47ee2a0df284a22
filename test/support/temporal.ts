import { randomUUID } from 'node:crypto';
import { InterceptingCall, type Interceptor } from '@grpc/grpc-js';
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import type { ActivityDependencies } from '../../activities';
import { createRunbookWorker } from '../../worker/worker';
import { stopPolling } from './until';

let runtimeInstalled = false;

/**
 * Connections to the suite's dev server (started by global-setup.ts).
 *
 * Test files share one process (on 2 cores jest runs them in band), so a Temporal call still running when its file
 * closes the connection does harm elsewhere: the client's retry interceptor retries it on a timer, against the closed
 * channel, and the error ("Channel has been shut down") is thrown into whatever test runs next. So `close()` first
 * stops this file's polls (test/support/until.ts), then waits for every call still in flight to end, and fails the
 * file that leaked one, naming the calls, instead of leaving them to fail someone else's test.
 */
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
  const inFlight = new Map<number, string>();
  let next = 0;
  // Outermost, so one logical call (its retries included) counts once.
  const tracker: Interceptor = (options, nextCall) => {
    const id = next++;
    return new InterceptingCall(nextCall(options), {
      start(metadata, listener, start) {
        inFlight.set(id, options.method_definition.path);
        start(metadata, {
          onReceiveStatus(status, receive) {
            inFlight.delete(id);
            receive(status);
          },
        });
      },
    });
  };
  const connection = await Connection.connect({
    address,
    interceptors: [tracker, makeGrpcRetryInterceptor(defaultGrpcRetryOptions())],
  });
  const nativeConnection = await NativeConnection.connect({ address });
  return {
    client: new Client({ connection }),
    nativeConnection,
    async close() {
      await stopPolling();
      const deadline = Date.now() + 15_000;
      while (inFlight.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      const leaked = [...inFlight.values()];
      await nativeConnection.close();
      if (leaked.length > 0) {
        // Left open: closing it would make the leaked calls fail in another file's test.
        throw new Error(
          `Temporal calls still running when the test file closed its connection: ${leaked.join(', ')}. Await every call a test starts (and stop its polls) before the file ends.`,
        );
      }
      await connection.close();
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

export { readableHistory } from '../../lib/readable-history';
