// Builds the workflow bundle the worker loads (`npm run build`): Temporal's recommended way to ship workflow code,
// and it keeps webpack out of the worker's start-up.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { DEFAULT_WORKFLOW_BUNDLE, WORKFLOWS_PATH } from '../lib/paths';

export async function buildWorkflowBundle(outFile = DEFAULT_WORKFLOW_BUNDLE): Promise<string> {
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
  mkdirSync(path.dirname(outFile), { recursive: true });
  writeFileSync(outFile, code);
  return outFile;
}

const noop = () => undefined;
const quietLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: console.warn, error: console.error };

if (require.main === module) {
  buildWorkflowBundle(process.argv[2]).then(
    (file) => console.error(`workflow bundle: ${path.relative(process.cwd(), file)}`),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
