// `npm run bench [-- --only 1,5 --skip-suite]`: the performance figures of issue 14, measured side by side in one
// run on this machine, against the physical limit (the simulator's own operation times), bare Temporal and the
// official Heroku CLI. Prints the table and writes bench/results.json. Never part of `npm test`.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { PACKAGE_ROOT } from '../lib/paths';
import { formatTable, type Figure } from './bench/figures';
import { BENCH_ITEMS, runBench } from './bench/run-bench';

async function main(): Promise<void> {
  const options = new Command('bench')
    .description('performance figures: engine vs physical limit, bare Temporal and the official heroku CLI')
    .option('--only <items>', `comma-separated items to run (${BENCH_ITEMS.join(', ')})`)
    .option('--skip-suite', 'leave out item 8 (a whole `npm test` run, the longest item)')
    .option('--dir <path>', 'working directory (emptied first)', path.join(PACKAGE_ROOT, '.data', 'bench'))
    .option('--out <file>', 'the results as JSON', path.join(PACKAGE_ROOT, 'bench', 'results.json'))
    .parse()
    .opts<{ only?: string; skipSuite?: boolean; dir: string; out: string }>();
  const items = options.only
    ? options.only.split(',').map((item) => item.trim())
    : BENCH_ITEMS.filter((item) => !(options.skipSuite && item === '8'));
  const unknown = items.filter((item) => !BENCH_ITEMS.includes(item));
  if (unknown.length > 0)
    throw new Error(`--only: unknown item ${unknown.join(', ')} (items: ${BENCH_ITEMS.join(', ')})`);
  // The bench's own workers (the bare-workflow baseline) would otherwise log every state change over the table.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const started = new Date();
  console.log(`bench: items ${items.join(', ')} on ${os.cpus().length} cores, in ${options.dir}`);
  const { figures, details } = await runBench({
    items,
    dir: options.dir,
    log: (line) => console.log(`  ${new Date().toISOString().slice(11, 19)} ${line}`),
  });
  mkdirSync(path.dirname(options.out), { recursive: true });
  writeFileSync(
    options.out,
    `${JSON.stringify(
      {
        started: started.toISOString(),
        wallSeconds: Math.round((Date.now() - started.getTime()) / 1000),
        machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30) },
        node: process.version,
        figures,
        details,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`\n${formatTable(figures)}\n`);
  for (const f of figures.filter((f: Figure) => f.note)) console.log(`  ${f.item} ${f.what}: ${f.note}`);
  console.log(`\nresults: ${options.out}`);
}

main().catch((err: Error) => {
  console.error(`bench: ${err.stack ?? err.message}`);
  process.exitCode = 1;
});
