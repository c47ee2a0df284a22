#!/usr/bin/env node
// The `runbook` command: runs the compiled CLI from dist/ (built by `npm run build`, and on `npm install`).
const path = require('node:path');
const cli = path.join(__dirname, '..', 'dist', 'client', 'cli.js');
let main;
try {
  ({ main } = require(cli));
} catch (err) {
  if (err.code !== 'MODULE_NOT_FOUND' || !String(err.message).includes(cli)) throw err;
  console.error('runbook: the CLI is not built yet. Run `npm install` (or `npm run build`) in ' + path.dirname(__dirname));
  process.exit(1);
}
main(process.argv);
