import { spawn, type ChildProcess } from 'node:child_process';
import { Client, Connection } from '@temporalio/client';
import { RUNBOOK_BIN, runCli, startCli, startCliStack, waitForExit } from './support/cli';
import { TestSimulator } from './support/simulator';
import { SealingKeys } from '../lib/sealing';
import { SEED_PEOPLE } from '../simulator';

// The issue's "done when": `runbook run disaster-recovery --env production --backup b016` in one shell, a second
// operator's `runbook approve` in another — the real CLI and worker processes, the dev server, the simulator.

const sealing = SealingKeys.generate();
let sim: TestSimulator;
let worker: ChildProcess;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  sim = await TestSimulator.start();
  // The worker on the service account's token, with the private sealing key; the CLI, below, with a person's
  // login and the public key only.
  ({ env, worker } = await startCliStack('cli-dr', sim, sealing, SEED_PEOPLE.alice.token));
});

afterAll(async () => {
  if (worker && worker.exitCode === null) {
    worker.kill('SIGTERM');
    await waitForExit(worker);
  }
  await sim?.close();
});

beforeEach(async () => {
  await sim.reset();
  await sim.control('PUT', 'clock', { speed: 60 });
});

/** Runs a test launched: a test that failed half-way must not leave one holding the app's lock. */
const launched: string[] = [];
afterEach(async () => {
  const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS! });
  const client = new Client({ connection });
  for (const workflowId of launched.splice(0)) {
    await client.workflow
      .getHandle(workflowId)
      .terminate('test cleanup')
      .catch(() => undefined);
  }
  await connection.close();
});

/** The CLI as one of the simulator's people: their own Heroku login proves who they are. */
const as = (person: keyof typeof SEED_PEOPLE) => ({ ...env, HEROKU_API_KEY: SEED_PEOPLE[person].token });

async function statusUntil(workflowId: string, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    last = (await runCli(['status', workflowId], env)).stdout;
    if (pattern.test(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  throw new Error(`runbook status never matched ${pattern}:\n${last}`);
}

const effects = async (kind: string) => (await sim.effects()).filter((effect) => effect.kind === kind);

test('run disaster-recovery on production as alice; bob approves with `runbook approve`; the app is restored', async () => {
  const { child: alice, stderr } = await startCli(
    ['run', 'disaster-recovery', '--env', 'production', '--backup', 'b016', '--reason', 'restore drill'],
    as('alice'),
    /Started disaster-recovery: \S+/,
  );
  let stdout = '';
  alice.stdout!.on('data', (chunk) => (stdout += chunk));
  const workflowId = /Started disaster-recovery: (\S+)/.exec(stderr())![1];
  launched.push(workflowId);

  const waiting = await statusUntil(workflowId, /Waiting for approval of plan [0-9a-f]{16}/);
  expect(stderr()).toContain(`If it needs approval, a second person runs: runbook approve ${workflowId}`);
  expect(waiting).toMatch(/^disaster-recovery on csis-reconasia-alfa \(production\), by alice@csis\.example/);
  const hash = /Waiting for approval of plan ([0-9a-f]{16})/.exec(waiting)![1];

  // No terminal and no --yes: the plan is shown, nothing is sent, and it does not wait for an answer.
  const noTty = await runCli(['approve', workflowId], as('bob'));
  expect(noTty.code).toBe(2);
  expect(noTty.stdout).toContain('Restore b016 (9.59 MB');
  expect(noTty.stdout).toContain(`Plan hash: ${hash}`);
  expect(noTty.stdout).toMatch(/Quiet background processes \(scale to 0\): scale worker 1 → 0, scheduler 1 → 0/);
  expect(noTty.stderr).toMatch(/No terminal to confirm on: read the plan above, then run again with --yes/);

  // The requester cannot approve.
  const self = await runCli(['approve', workflowId, '--yes'], as('alice'));
  expect(self.code).toBe(1);
  expect(self.stderr).toMatch(/Refused: alice@csis\.example requested this run and cannot approve it/);
  // carol is proven, but may only view production: refused, naming the rule.
  const carol = await runCli(['approve', workflowId, '--yes'], as('carol'));
  expect(carol.code).toBe(1);
  expect(carol.stderr).toMatch(
    /Refused: carol@csis\.example may not approve this: approving disaster-recovery on production needs app permission manage/,
  );

  const approved = await runCli(['approve', workflowId, '--yes', '--reason', 'drill agreed in #ops'], as('bob'));
  expect(approved.stderr).toBe('');
  expect(approved.code).toBe(0);
  expect(approved.stdout).toContain(`✔ Plan ${hash} approved by bob@csis.example.`);

  const { code } = await waitForExit(alice);
  expect(code).toBe(0);
  expect(stdout).toContain('✔ disaster-recovery succeeded');
  // Alice's terminal followed the steps as they happened.
  expect(stderr()).toMatch(
    /▶ Approval by a second person — plan [0-9a-f]{16} waits for a verified second person \(.*; not alice@csis\.example\)/,
  );
  expect(stderr()).toMatch(/✔ Restore the backup: r\d{3} \(succeeded, 9\.59 MB\)/);
  expect(stderr()).toMatch(/✔ Maintenance off: cleared MAINTENANCE_MODE/);
  expect(stdout).toMatch(
    /Restored b016 into csis-reconasia-alfa \(production\)'s DATABASE_URL \(r\d{3}\)\. Safety backup b017 taken first\..*Approved by bob@csis\.example\./,
  );

  const json = JSON.parse((await runCli(['status', workflowId, '--json'], env)).stdout);
  expect(json).toMatchObject({
    state: 'COMPLETED',
    outcome: 'succeeded',
    operator: 'alice@csis.example',
    app: 'csis-reconasia-alfa',
  });
  expect(json.progress.steps.filter((s: { status: string }) => s.status === 'failed')).toEqual([]);
  expect(await effects('restore')).toHaveLength(1);
  expect((await sim.api().get('/apps/csis-reconasia-alfa/config-vars')).MAINTENANCE_MODE).toBeUndefined();

  const audit = JSON.parse((await runCli(['audit', '--workflow-id', workflowId, '--json'], env)).stdout) as Array<{
    event: string;
    summary: string;
    operator: string;
  }>;
  expect(
    audit.find(
      (entry) => entry.event === 'approval' && /approved by bob@csis\.example: drill agreed/.test(entry.summary),
    ),
  ).toBeDefined();
});

test('--no-wait --json, a failed index rebuild, `runbook status` says how the app was left, `runbook retry` finishes it', async () => {
  await sim.control('POST', 'dyno-outcomes', { pattern: 'rebuild_index', exitStatus: 1 });
  const started = await runCli(
    [
      'run',
      'disaster-recovery',
      '--env',
      'staging',
      '--backup',
      'b010',
      '--confirm',
      'csis-reconasia-bravo',
      '--no-wait',
      '--json',
    ],
    as('alice'),
  );
  expect(started.code).toBe(0);
  const { workflowId, runId } = JSON.parse(started.stdout);
  launched.push(workflowId);
  expect(workflowId).toMatch(/^disaster-recovery\.staging\./);
  expect(runId).toMatch(/^[0-9a-f-]{36}$/);

  const failed = await statusUntil(workflowId, /State: FAILED/);
  expect(failed).toMatch(/✘ index\s+failed: `python manage\.py rebuild_index --noinput` exited with status 1/);
  expect(failed).toMatch(/maintenance turned off again/);
  expect(failed).toContain(`\`runbook retry ${workflowId}\` continues from "index" without restoring again`);

  await sim.control('DELETE', 'dyno-outcomes');
  const retried = await runCli(['retry', workflowId], as('alice'));
  expect(retried.stderr).toContain(`Retrying ${workflowId} from where it stopped.`);
  expect(retried.code).toBe(0);
  expect(retried.stdout).toContain('✔ disaster-recovery succeeded');
  expect(await effects('restore')).toHaveLength(1);
});

test('`runbook reject` ends a waiting run; `runbook cancel` compensates and prints the state it left', async () => {
  const first = JSON.parse(
    (
      await runCli(
        ['run', 'disaster-recovery', '--env', 'production', '--backup', 'b015', '--no-wait', '--json'],
        as('alice'),
      )
    ).stdout,
  );
  launched.push(first.workflowId);
  await statusUntil(first.workflowId, /Waiting for approval/);
  const rejected = await runCli(['reject', first.workflowId, '--reason', 'wrong backup'], as('bob'));
  expect(rejected.code).toBe(0);
  expect(rejected.stdout).toContain('✔ Rejected by bob@csis.example: wrong backup.');
  await statusUntil(first.workflowId, /State: FAILED \(rejected\)/);

  await sim.control('PUT', 'clock', { speed: 1 });
  const second = JSON.parse(
    (
      await runCli(
        [
          'run',
          'disaster-recovery',
          '--env',
          'staging',
          '--backup',
          'b010',
          '--confirm',
          'csis-reconasia-bravo',
          '--no-wait',
          '--json',
        ],
        as('alice'),
      )
    ).stdout,
  );
  launched.push(second.workflowId);
  await statusUntil(second.workflowId, /Now: Restore the backup — restoring b010/);
  const cancelled = await runCli(['cancel', second.workflowId], as('alice'));
  expect(cancelled.code).toBe(0);
  expect(cancelled.stdout).toMatch(/State: CANCELLED/);
  expect(cancelled.stdout).toMatch(
    /Cancelled at "restore"\. State of csis-reconasia-bravo: database may be inconsistent; maintenance ON; processes scaled back\./,
  );
  expect((await sim.api().get('/apps/csis-reconasia-bravo/config-vars')).MAINTENANCE_MODE).toBe('True');

  const notRunning = await runCli(['cancel', second.workflowId], env);
  expect(notRunning.code).toBe(2);
  expect(notRunning.stderr).toMatch(/is not running \(CANCELLED\): nothing to cancel/);
});

test('in a terminal, `runbook approve` asks; only "yes" approves', async () => {
  const { workflowId } = JSON.parse(
    (
      await runCli(
        ['run', 'disaster-recovery', '--env', 'production', '--backup', 'b016', '--no-wait', '--json'],
        as('alice'),
      )
    ).stdout,
  );
  launched.push(workflowId);
  await statusUntil(workflowId, /Waiting for approval/);
  // `script` gives the CLI a pseudo-terminal, as an operator's shell would; the answer is typed on it.
  const inTerminal = (answer: string) =>
    new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn('script', ['-qec', `${process.execPath} ${RUNBOOK_BIN} approve ${workflowId}`, '/dev/null'], {
        env: { ...process.env, ...as('bob') },
      });
      let output = '';
      let answered = false;
      // The answer is typed once; the terminal may close before more output arrives (no write after that).
      child.stdin.on('error', () => undefined);
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk;
        if (!answered && output.includes('Type "yes" to approve')) {
          answered = true;
          child.stdin.write(`${answer}\n`);
        }
      });
      child.on('close', (code) => resolve({ code, output }));
    });
  const declined = await inTerminal('no');
  expect(declined.code).toBe(1);
  expect(declined.output).toMatch(/Plan hash: [0-9a-f]{16}/);
  expect(declined.output).toContain('Not approved: nothing was sent. The run keeps waiting.');
  expect(await runCli(['status', workflowId], env).then((r) => r.stdout)).toMatch(/Waiting for approval/);

  const accepted = await inTerminal('yes');
  expect(accepted.code).toBe(0);
  expect(accepted.output).toMatch(/✔ Plan [0-9a-f]{16} approved by bob@csis\.example\./);
  await statusUntil(workflowId, /State: COMPLETED/, 60_000);
});
