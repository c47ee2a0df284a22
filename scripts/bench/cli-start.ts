// How fast the `runbook` CLI starts: `runbook --help` and `runbook list`, the compiled CLI (bin/runbook.js on
// dist/) run as users run it, each as a fresh Node process. The bench harness (scripts/bench.ts) calls
// benchCliStart() and prints the figures; `node dist/scripts/bench/cli-start.js` prints them on its own.
//
// Wall time: from spawning the process to its exit, measured here with process.hrtime.
// Peak RSS: the process's own high-water mark as the kernel counts it (getrusage ru_maxrss). Where GNU time is
// installed (/usr/bin/time) the CLI runs under `/usr/bin/time -f %M`, which reports it for its child with the
// CLI's command line untouched (the wall time then includes starting `time` itself, well under a millisecond).
// Elsewhere a preloaded one-line hook (`node -r`, from a temporary file) writes `process.resourceUsage().maxRSS` at
// the process's exit to a pipe of its own (fd 3), so the CLI's output and the figure stay apart; it loads no module.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PACKAGE_ROOT } from '../../lib/paths';

export interface CliStartFigure {
  command: string;
  medianMs: number;
  runsMs: number[];
  peakRssMiB: number;
}

const RUNBOOK_BIN = path.join(PACKAGE_ROOT, 'bin', 'runbook.js');
const GNU_TIME = '/usr/bin/time';
const MAX_RSS_HOOK =
  "process.on('exit', () => require('node:fs').writeSync(3, String(process.resourceUsage().maxRSS)))";

const COMMANDS: string[][] = [['--help'], ['list']];

/** How to read a run's peak RSS: GNU time, or else the hook file preloaded into the CLI. */
type RssProbe = { kind: 'gnu-time' } | { kind: 'hook'; file: string };

/** One run: its wall time and peak RSS (KiB). Throws if the command fails: a failed start is no figure. */
function runOnce(args: string[], probe: RssProbe): Promise<{ ms: number; maxRssKiB: number }> {
  const withTime = probe.kind === 'gnu-time';
  // GNU time writes its figure on the last line of stderr, after whatever the CLI wrote there.
  const [file, argv] =
    probe.kind === 'gnu-time'
      ? [GNU_TIME, ['-f', '%M', process.execPath, RUNBOOK_BIN, ...args]]
      : [process.execPath, ['-r', probe.file, RUNBOOK_BIN, ...args]];
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(file, argv, { cwd: PACKAGE_ROOT, stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let hookOutput = '';
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    child.stdio[3]!.on('data', (chunk) => (hookOutput += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const figure = withTime ? stderr.trimEnd().split('\n').pop() : hookOutput;
      const maxRssKiB = Number(figure);
      if (code !== 0 || !(maxRssKiB > 0)) {
        reject(new Error(`runbook ${args.join(' ')} exited ${code} (no figure to take): ${stderr.trim()}`));
        return;
      }
      resolve({ ms, maxRssKiB });
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

const round = (value: number, places = 1) => Math.round(value * 10 ** places) / 10 ** places;

/**
 * `runbook --help` and `runbook list`, `runs` times each (default 5), one after another: the median wall time,
 * every run's, and the highest peak RSS of the runs. Needs the compiled CLI (`npm run build`).
 */
export async function benchCliStart(options: { runs?: number } = {}): Promise<CliStartFigure[]> {
  const runs = options.runs ?? 5;
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`runs must be a whole number of at least 1, not ${runs}`);
  if (!existsSync(path.join(PACKAGE_ROOT, 'dist', 'client', 'cli.js')))
    throw new Error(`The CLI is not built: run \`npm run build\` in ${PACKAGE_ROOT} first.`);
  let hookDir: string | undefined;
  let probe: RssProbe = { kind: 'gnu-time' };
  if (!existsSync(GNU_TIME)) {
    hookDir = mkdtempSync(path.join(os.tmpdir(), 'cli-start-bench-'));
    probe = { kind: 'hook', file: path.join(hookDir, 'max-rss.js') };
    writeFileSync(probe.file, MAX_RSS_HOOK);
  }
  try {
    const figures: CliStartFigure[] = [];
    for (const args of COMMANDS) {
      const measured: { ms: number; maxRssKiB: number }[] = [];
      for (let i = 0; i < runs; i++) measured.push(await runOnce(args, probe));
      const runsMs = measured.map((run) => round(run.ms));
      figures.push({
        command: `runbook ${args.join(' ')}`,
        medianMs: round(median(runsMs)),
        runsMs,
        peakRssMiB: round(Math.max(...measured.map((run) => run.maxRssKiB)) / 1024),
      });
    }
    return figures;
  } finally {
    if (hookDir) rmSync(hookDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  benchCliStart().then(
    (figures) => {
      for (const figure of figures)
        console.log(
          `${figure.command.padEnd(16)}  median ${figure.medianMs} ms (runs ${figure.runsMs.join(', ')})  peak RSS ${figure.peakRssMiB} MiB`,
        );
    },
    (err: Error) => {
      console.error(`cli-start bench: ${err.message}`);
      process.exitCode = 1;
    },
  );
}
