// `runbook --help`, `runbook list` and every command's --help build the whole program, but load none of what the
// commands use when they run: each command loads the Temporal SDK, the audit stores, sealing and the rest in its
// action (see client/cli.ts). A top-level import of one of them in a command file makes this fail — and with it the
// CLI's start time (scripts/bench/cli-start.ts), which these modules dominate.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RUNBOOK_BIN } from './support/cli';

/** What help and parsing must not load, by what it is. */
const HEAVY: Record<string, RegExp> = {
  'the Temporal SDK': /[\\/]node_modules[\\/]@temporalio[\\/]/,
  'better-sqlite3': /[\\/]node_modules[\\/]better-sqlite3[\\/]/,
  pg: /[\\/]node_modules[\\/]pg[\\/]/,
  'the audit stores (lib/audit)': /[\\/]dist[\\/]lib[\\/]audit[\\/]/,
  'sealing (lib/sealing)': /[\\/]dist[\\/]lib[\\/]sealing\.js$/,
  'identity proofs (client/identity)': /[\\/]dist[\\/]client[\\/]identity\.js$/,
  'the Temporal connection (client/connection)': /[\\/]dist[\\/]client[\\/]connection\.js$/,
  'the live view (client/live-view)': /[\\/]dist[\\/]client[\\/]live-view\.js$/,
  'the worker, activities, workflows or simulator': /[\\/]dist[\\/](worker|activities|workflows|simulator)[\\/]/,
};

let dir: string;
let hook: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'cli-lazy-load-'));
  hook = path.join(dir, 'loaded-modules.js');
  // Preloaded into the CLI: at exit it prints every module file it loaded.
  writeFileSync(
    hook,
    "process.on('exit', () => process.stderr.write('LOADED ' + JSON.stringify(Object.keys(require.cache)) + '\\n'));",
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]): { code: number | null; stdout: string; loaded: string[] } {
  const child = spawnSync(process.execPath, ['-r', hook, RUNBOOK_BIN, ...args], {
    encoding: 'utf8',
    // Nothing here may need these; they point nowhere so that a command that did run could not reach anything.
    env: { ...process.env, RUNBOOK_AUDIT_DB: path.join(dir, 'audit.db'), TEMPORAL_ADDRESS: '127.0.0.1:1' },
  });
  const line = /^LOADED (.*)$/m.exec(child.stderr);
  if (!line) throw new Error(`no module list from runbook ${args.join(' ')}: ${child.stderr}`);
  return { code: child.status, stdout: child.stdout, loaded: JSON.parse(line[1]) as string[] };
}

/** The heavy modules a run loaded, by name. */
function heavyIn(loaded: string[]): string[] {
  return Object.entries(HEAVY)
    .filter(([, pattern]) => loaded.some((file) => pattern.test(file)))
    .map(([name]) => name);
}

/** The commands `runbook --help` lists (the worker and the simulator are programs of their own: not these). */
function commandsOf(help: string): string[] {
  const section = help.split(/^Commands:$/m)[1] ?? '';
  return [...section.matchAll(/^ {2}(\S+)/gm)]
    .map((match) => match[1])
    .filter((name) => !['help', 'worker', 'simulator'].includes(name));
}

test('runbook --help and runbook list load no heavy module', () => {
  for (const args of [['--help'], ['help'], ['list'], ['list', '--json']]) {
    const { code, loaded } = run(args);
    expect({ args, code, heavy: heavyIn(loaded) }).toEqual({ args, code: 0, heavy: [] });
    // The program was built: the commands' own files were loaded (the check above looked at a real run).
    expect({ args, loaded }).toEqual({
      args,
      loaded: expect.arrayContaining([expect.stringMatching(/[\\/]dist[\\/]client[\\/]commands[\\/]run\.js$/)]),
    });
  }
});

test("every command's --help loads no heavy module", () => {
  const commands = commandsOf(run(['--help']).stdout);
  expect(commands).toEqual(expect.arrayContaining(['list', 'run', 'status', 'watch', 'approve', 'audit', 'keys']));
  const nested = [
    ['run', 'disaster-recovery'],
    ['run', 'set-config-vars'],
    ['audit', 'list'],
    ['audit', 'verify'],
    ['audit', 'reconcile'],
    ['audit', 'export'],
    ['keys', 'generate'],
    ['keys', 'public'],
    ['keys', 'audit'],
    ['manual', 'disaster-recovery'],
  ];
  for (const command of [...commands.map((name) => [name]), ...nested]) {
    const args = [...command, '--help'];
    const { code, loaded } = run(args);
    expect({ args, code, heavy: heavyIn(loaded) }).toEqual({ args, code: 0, heavy: [] });
  }
});

test('a command that runs loads what it needs then (the check sees heavy modules when they are there)', () => {
  expect(heavyIn(run(['keys', 'generate', '--json']).loaded)).toContain('sealing (lib/sealing)');
  const audit = run(['audit', '--json']);
  expect({ code: audit.code, heavy: heavyIn(audit.loaded) }).toEqual({
    code: 0,
    heavy: expect.arrayContaining(['better-sqlite3', 'the audit stores (lib/audit)']),
  });
});
