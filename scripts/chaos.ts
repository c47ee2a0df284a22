// `npm run chaos [-- --runs N --seed S --out FILE]`: runbooks launched with the CLI under worker kills, Temporal
// crashes and Heroku faults; prints the table, writes it as JSON, exits 1 on any violation.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { PACKAGE_ROOT } from '../lib/paths';
import { runChaos } from './chaos/driver';
import { formatReport } from './chaos/report';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number of at least 1');
  return n;
}

async function main(): Promise<void> {
  const options = new Command('chaos')
    .description('chaos runs: crashes, restarts and Heroku faults, with the invariants checked afterwards')
    .option('--runs <n>', 'runbook runs (every third a production disaster recovery)', positiveInt, 30)
    .option('--seed <n>', 'seed of the runs and the faults', positiveInt, 1)
    .option('--dir <path>', 'working directory (emptied first)', path.join(PACKAGE_ROOT, '.data', 'chaos'))
    .option('--out <file>', 'the report as JSON', path.join(PACKAGE_ROOT, '.data', 'chaos-report.json'))
    .parse()
    .opts<{ runs: number; seed: number; dir: string; out: string }>();
  const started = new Date().toISOString();
  console.log(`chaos: ${options.runs} runs, seed ${options.seed}, in ${options.dir}`);
  const report = await runChaos({
    runs: options.runs,
    seed: options.seed,
    dir: options.dir,
    log: (line) => console.log(`  ${new Date().toISOString().slice(11, 19)} ${line}`),
  });
  writeFileSync(options.out, JSON.stringify({ started, ...report }, null, 2));
  console.log(
    `\n${formatReport(report)}\n\nreport: ${options.out}; evidence: ${path.join(options.dir, 'evidence.json')}`,
  );
  process.exitCode = report.violations.length === 0 ? 0 : 1;
}

main().catch((err: Error) => {
  console.error(`chaos: ${err.stack ?? err.message}`);
  process.exitCode = 2;
});
