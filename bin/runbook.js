#!/usr/bin/env node
// The `runbook` command: runs the compiled CLI from dist/ (built by `npm run build`, and on `npm install`).
// `runbook worker` and `runbook simulator` are programs of their own: their code loads only when they run.
const path = require('node:path');
const dist = path.join(__dirname, '..', 'dist');
const cli = path.join(dist, 'client', 'cli.js');
let main;
try {
  ({ main } = require(cli));
} catch (err) {
  if (err.code !== 'MODULE_NOT_FOUND' || !String(err.message).includes(cli)) throw err;
  console.error(
    'runbook: the CLI is not built yet. Run `npm install` (or `npm run build`) in ' + path.dirname(__dirname),
  );
  process.exit(1);
}
main(process.argv, {
  worker: {
    summary: 'run a worker that executes runbooks (stops cleanly on SIGINT/SIGTERM)',
    load: () => require(path.join(dist, 'worker', 'main.js')).workerCommand(),
  },
  simulator: {
    summary: 'run the Heroku API simulator (for tests, the demo and trying runbooks out)',
    load: () => require(path.join(dist, 'simulator', 'cli.js')).simulatorCommand(),
  },
});
