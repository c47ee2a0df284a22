// The layers of heroku-runbooks, checked by `npm test` (`npm run layers`):
//   common/      shared by everyone: pure (no Node built-ins, see eslint.config.mjs), imports no other layer
//   lib/         Node-side code the worker, the activities and the CLI share: sealing, the audit store, config files
//   workflows/   deterministic workflow code: common/ and the activities' types only
//   activities/  every side effect: common/ and lib/
//   worker/      the worker process: common/, lib/, activities/
//   client/      the `runbook` CLI and the launch API: common/ and lib/ (the worker and the simulator are programs of
//                their own, loaded by bin/runbook.js only when they run)
//   simulator/   the fake Heroku: stands alone
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'An import cycle: split out what both sides need.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'common-stands-alone',
      severity: 'error',
      comment: 'common/ is shared by the workflows (sandboxed) and everyone else: it imports no other layer.',
      from: { path: '^common/' },
      to: { path: '^(lib|workflows|activities|worker|client|simulator|scripts|test)/' },
    },
    {
      name: 'lib-is-below-its-users',
      severity: 'error',
      from: { path: '^lib/' },
      to: { path: '^(workflows|activities|worker|client|simulator|scripts|test)/' },
    },
    {
      name: 'workflows-only-common',
      severity: 'error',
      comment: 'Workflow code is deterministic: it sees common/ and, for typing the proxies, the activities as types.',
      from: { path: '^workflows/' },
      to: { path: '^(lib|worker|client|simulator|scripts|test)/' },
    },
    {
      name: 'workflows-see-activities-as-types-only',
      severity: 'error',
      from: { path: '^workflows/' },
      to: { path: '^activities/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'activities-below-workflows-and-programs',
      severity: 'error',
      from: { path: '^activities/' },
      to: { path: '^(workflows|worker|client|simulator|scripts|test)/' },
    },
    {
      name: 'worker-not-client',
      severity: 'error',
      from: { path: '^worker/' },
      to: { path: '^(workflows|client|simulator|scripts|test)/' },
    },
    {
      name: 'client-only-common-and-lib',
      severity: 'error',
      comment:
        'The CLI never loads activities, workflows, the worker or the simulator (bin/runbook.js does, on demand).',
      from: { path: '^client/' },
      to: { path: '^(workflows|activities|worker|simulator|scripts|test)/' },
    },
    {
      name: 'simulator-stands-alone',
      severity: 'error',
      from: { path: '^simulator/' },
      to: { path: '^(common|lib|workflows|activities|worker|client|scripts|test)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|\\.tools|\\.data)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
