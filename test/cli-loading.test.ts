// The everyday CLI loads only the CLI: `runbook list` or `runbook status` must not pull in the worker, the
// activities, the workflows or the simulator (the worker and the simulator are programs of their own, loaded by
// bin/runbook.js only for `runbook worker` and `runbook simulator`).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RUNBOOK_BIN } from './support/cli';

let dir: string;
let hook: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'cli-loading-'));
  hook = path.join(dir, 'loaded-modules.js');
  // Preloaded into the CLI: at exit, it prints which of our layers (and which heavy packages) were loaded.
  writeFileSync(
    hook,
    `process.on('exit', () => {
      const ours = Object.keys(require.cache)
        .map((file) => /[\\\\/]dist[\\\\/](\\w+)[\\\\/]/.exec(file)?.[1] ?? (/@temporalio[\\\\/]worker[\\\\/]/.test(file) ? '@temporalio/worker' : null))
        .filter(Boolean);
      process.stderr.write('LOADED ' + JSON.stringify([...new Set(ours)].sort()) + '\\n');
    });`,
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function loadedBy(args: string[]): string[] {
  const run = spawnSync(process.execPath, ['-r', hook, RUNBOOK_BIN, ...args], { encoding: 'utf8' });
  const line = /^LOADED (.*)$/m.exec(run.stderr);
  if (!line) throw new Error(`no module list from runbook ${args.join(' ')}: ${run.stderr}`);
  return JSON.parse(line[1]) as string[];
}

test('runbook list, run --help, manual --help and keys generate load the CLI and what it shares, nothing else', () => {
  for (const args of [
    ['list'],
    ['run', 'maintenance-on', '--help'],
    ['manual', 'disaster-recovery', '--help'],
    ['keys', 'generate'],
  ]) {
    const loaded = loadedBy(args);
    expect({ args, loaded }).toEqual({ args, loaded: expect.arrayContaining(['client', 'common']) });
    const others = loaded.filter((layer) =>
      ['activities', 'workflows', 'worker', 'simulator', '@temporalio/worker'].includes(layer),
    );
    expect({ args, others }).toEqual({ args, others: [] });
  }
});

test('runbook simulator --help loads the simulator (the loader works), and only then', () => {
  expect(loadedBy(['simulator', '--help'])).toContain('simulator');
  expect(loadedBy(['worker', '--help'])).toEqual(expect.arrayContaining(['worker', 'activities']));
});
