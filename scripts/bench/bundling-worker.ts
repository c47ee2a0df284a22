// Item 6's comparison: a worker process that loads the runbook workflows either from the prebuilt bundle
// (`npm run build`, what `runbook worker` does) or by bundling them with webpack at start. It prints one line once
// the worker exists, then shuts down. Usage: node bundling-worker.js <prebuilt|bundle> <temporal address> <queue>
import { NativeConnection, Worker } from '@temporalio/worker';
import { DEFAULT_WORKFLOW_BUNDLE, WORKFLOWS_PATH } from '../../lib/paths';

async function main(): Promise<void> {
  const [mode, address, taskQueue] = process.argv.slice(2);
  const connection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection,
    taskQueue,
    ...(mode === 'bundle'
      ? { workflowsPath: WORKFLOWS_PATH }
      : { workflowBundle: { codePath: DEFAULT_WORKFLOW_BUNDLE } }),
  });
  console.log(JSON.stringify({ ready: Date.now() }));
  await worker.runUntil(Promise.resolve());
  await connection.close();
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exitCode = 1;
});
