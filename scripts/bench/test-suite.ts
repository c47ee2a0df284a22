// Item 8: the team's daily loop. A whole `npm test` on this (warm) clone — setup check, typecheck, lint, formatting,
// layers, then jest — timed, with jest's own per-file times for the ten slowest files.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../../lib/paths';

export interface TestSuiteBench {
  wallMs: number;
  /** From jest's start to its end: the suite itself, without the checks before it. */
  jestMs: number;
  files: number;
  passed: number;
  failed: number;
  slowest: Array<{ file: string; ms: number }>;
  exitCode: number | null;
}

export async function benchTestSuite(dir: string, log: (line: string) => void): Promise<TestSuiteBench> {
  mkdirSync(dir, { recursive: true });
  const output = path.join(dir, 'jest-results.json');
  log('npm test: the whole suite (about 10–25 minutes)');
  const started = Date.now();
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    const child = spawn('bash', [path.join(PACKAGE_ROOT, 'scripts', 'test.sh'), '--json', `--outputFile=${output}`], {
      cwd: PACKAGE_ROOT,
      // Its own Temporal dev server and simulators: nothing of the bench's stacks is shared.
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let tail = '';
    child.stderr.on('data', (chunk: Buffer) => (tail = (tail + chunk.toString()).slice(-4000)));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) log(`npm test exited ${code}: ${tail.slice(-1500)}`);
      resolve(code);
    });
  });
  const wallMs = Date.now() - started;
  const results = JSON.parse(readFileSync(output, 'utf8')) as {
    startTime: number;
    numPassedTests: number;
    numFailedTests: number;
    testResults: Array<{ name: string; startTime: number; endTime: number }>;
  };
  const jestEnd = Math.max(...results.testResults.map((file) => file.endTime));
  return {
    wallMs,
    jestMs: jestEnd - results.startTime,
    files: results.testResults.length,
    passed: results.numPassedTests,
    failed: results.numFailedTests,
    slowest: results.testResults
      .map((file) => ({ file: path.relative(PACKAGE_ROOT, file.name), ms: file.endTime - file.startTime }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 10),
    exitCode,
  };
}
