import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { stripVTControlCharacters } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { approvalQuery } from '../common/messages';
import { RUNBOOKS, type RunbookId } from '../common/runbooks';
import { SealingKeys } from '../lib/sealing';
import { SEED_PEOPLE } from '../simulator';
import { RUNBOOK_BIN, runCli, startCli, startCliStack, waitForExit } from './support/cli';
import { TestSimulator } from './support/simulator';
import { until } from './support/until';

// The CLI as an operator sees it: the live step table in a real pseudo-terminal (util-linux `script`), plain lines
// when piped, `runbook watch` of runs the CLI did not start (as the Temporal UI starts them), `describe`, `schema`,
// and what it says when Temporal is not there. The real CLI and worker processes, the dev server, the simulator.

const ESC = '\x1b';
const sealing = SealingKeys.generate();
let sim: TestSimulator;
let worker: ChildProcess;
let env: NodeJS.ProcessEnv;
let connection: Connection;
let client: Client;
const started: string[] = [];

beforeAll(async () => {
  // The live view's test needs a terminal: say so plainly rather than fail obscurely.
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error('util-linux `script` is needed for the terminal tests (apt-get install util-linux)');
  }
  sim = await TestSimulator.start();
  ({ env, worker } = await startCliStack('cli-live', sim, sealing, SEED_PEOPLE.alice.token));
  connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS! });
  client = new Client({ connection });
});

afterAll(async () => {
  if (worker && worker.exitCode === null) {
    worker.kill('SIGTERM');
    await waitForExit(worker);
  }
  await connection?.close();
  await sim?.close();
});

beforeEach(async () => {
  await sim.reset();
  await sim.control('PUT', 'clock', { speed: 60 });
});

// A test that failed half-way must not leave a run holding its app's lock for the next.
afterEach(async () => {
  for (const workflowId of started.splice(0)) {
    await client.workflow
      .getHandle(workflowId)
      .terminate('test cleanup')
      .catch(() => undefined);
  }
});

const as = (person: keyof typeof SEED_PEOPLE) => ({ ...env, HEROKU_API_KEY: SEED_PEOPLE[person].token });

/** `runbook …` with a pseudo-terminal for stdout and stderr (`script`), and everything it drew. */
function inTerminal(args: string[], environment: NodeJS.ProcessEnv) {
  const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, RUNBOOK_BIN, ...args].map(quote).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    // A colour terminal, as an operator's is, whatever the machine running the tests has (CI: often none).
    env: { ...process.env, TERM: 'xterm-256color', NO_COLOR: '', FORCE_COLOR: '', ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  return {
    child,
    /** As the terminal received it, escape codes and all. */
    raw: () => output,
    /** What a person reads in it, colours aside (every drawing of the table, one after the other). */
    text: () => stripVTControlCharacters(output).replace(/\r/g, ''),
    exited: () => waitForExit(child),
  };
}

async function untilPrinted(read: () => string, pattern: RegExp, what: string): Promise<RegExpExecArray> {
  return until(
    async () => pattern.exec(read()),
    (match) => match !== null,
    what,
    90_000,
  ) as Promise<RegExpExecArray>;
}

test('in a terminal, `runbook run` redraws its step table in place, shows what it waits for, and exits 0', async () => {
  // On production a restore waits for a second person: the table stands still there until bob approves.
  const terminal = inTerminal(
    [
      'run',
      'restore-backup',
      '--env',
      'production',
      '--backup',
      'b016',
      '--confirm',
      'csis-reconasia-alfa',
      '--reason',
      'live view test',
    ],
    as('alice'),
  );
  const workflowId = (await untilPrinted(terminal.text, /Started restore-backup: (\S+)/, 'the start'))[1];
  started.push(workflowId);
  const hash = (
    await untilPrinted(terminal.text, /Waiting for approval of plan ([0-9a-f]{16})/, 'the approval wait')
  )[1];
  const waiting = terminal.text();
  expect(waiting).toMatch(/✔ Check the backup exists and succeeded \(\d+[sm]/);
  expect(waiting).toMatch(/▶ Approval by a second person \(where the environment asks for it\) \(\d+[sm].*\) — plan /);
  expect(waiting).toContain('· Restore the backup into the database');
  expect(waiting).toContain(`runbook approve ${workflowId}`);

  const approved = await runCli(['approve', workflowId, '--yes'], as('bob'));
  expect({ code: approved.code, stderr: approved.stderr }).toEqual({ code: 0, stderr: '' });
  expect(approved.stdout).toContain(`✔ Plan ${hash} approved by bob@csis.example.`);

  const { code } = await terminal.exited();
  expect({ code, output: terminal.text() }).toMatchObject({ code: 0 });
  // Drawn in place: back up to the table's first line, cleared, drawn again; marks coloured.
  expect(terminal.raw()).toMatch(new RegExp(`${ESC}\\[\\d+F${ESC}\\[J`));
  expect(terminal.raw()).toContain('\x1b[32m✔');
  const text = terminal.text();
  expect(text).toMatch(/✔ Restore the backup into the database \(\d+[sm][^)]*\): r\d{3}/);
  expect(text).toContain('✔ restore-backup succeeded');
  expect(text).toMatch(/Restored b016 into csis-reconasia-alfa's DATABASE_URL \(r\d{3}\)/);
});

test('in a terminal, a failing run ends with ✘ and the reason, exit 1', async () => {
  const terminal = inTerminal(['run', 'maintenance-on', '--app', 'no-such-app-here'], env);
  const { code } = await terminal.exited();
  expect({ code, output: terminal.text() }).toMatchObject({ code: 1 });
  expect(terminal.text()).toMatch(/✘ Resolve the app and its settings.*Couldn't find that app/);
  expect(terminal.text()).toContain('✘ maintenance-on failed (HerokuNotFound)');
});

test('piped, `runbook run` prints plain lines, no escape codes; its steps are the ones `describe` lists', async () => {
  const run = await runCli(['run', 'maintenance-on', '--env', 'staging', '--reason', 'plain lines'], env);
  expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: 0 });
  expect(run.stdout + run.stderr).not.toContain('\x1b');
  expect(run.stderr).toMatch(/^ {2}✔ Resolve the app and its settings: /m);
  expect(run.stderr).toMatch(/^ {2}✔ Set the maintenance config var: /m);
  expect(run.stdout).toContain('✔ maintenance-on succeeded');

  const workflowId = /Started maintenance-on: (\S+)/.exec(run.stderr)![1];
  const status = JSON.parse((await runCli(['status', workflowId, '--json'], env)).stdout);
  const described = JSON.parse((await runCli(['describe', 'maintenance-on', '--json'], env)).stdout);
  expect(described.steps).toEqual(
    status.progress.steps.map(({ name, title }: { name: string; title: string }) => ({ name, title })),
  );
});

test('`runbook watch` follows a run started as the Temporal UI starts it, through its approval, to exit 0', async () => {
  // The UI sends one JSON object and no proof: the run is unverified, and waits for a verified person to vouch.
  const workflowId = `ui-started-${randomUUID().slice(0, 8)}`;
  started.push(workflowId);
  const handle = await client.workflow.start('maintenanceOn', {
    args: [{ environment: 'staging', operator: 'alice', reason: 'started from the UI' }],
    taskQueue: env.RUNBOOK_TASK_QUEUE!,
    workflowId,
  });
  await until(
    () => handle.query(approvalQuery),
    (approval) => approval.status === 'waiting',
    'the run to wait for a verified approver',
    90_000,
  );
  const { child, stderr } = await startCli(['watch', workflowId], env, /Waiting for approval of plan [0-9a-f]{16}/);
  let stdout = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  expect(stderr()).toContain(
    `Watching maintenance-on on csis-reconasia-bravo (staging), by unverified (claims: alice)`,
  );
  // (The vouching step is added as it starts, so it is named, not titled, and listed after the declared steps.)
  expect(stderr()).toMatch(/^ {2}▶ (approval|Approval[^—]*) — plan [0-9a-f]{16} waits for 1 verified approver/m);
  expect(stderr()).toContain(`runbook approve ${workflowId}`);

  const approved = await runCli(['approve', workflowId, '--yes'], as('bob'));
  expect({ code: approved.code, stderr: approved.stderr }).toEqual({ code: 0, stderr: '' });
  const { code } = await waitForExit(child);
  expect({ code, stdout, stderr: stderr() }).toMatchObject({ code: 0 });
  expect(stderr()).toMatch(/^ {2}✔ Set the maintenance config var: /m);
  expect(stdout).toContain('✔ maintenance-on succeeded');

  // Ended: its final state at once, as `runbook status` prints it.
  const again = await runCli(['watch', workflowId], env);
  expect(again.code).toBe(0);
  expect(again.stdout).toMatch(/State: COMPLETED \(succeeded\)/);
});

test('`runbook watch` of a UI-started run that fails exits 1, in a terminal and as JSON', async () => {
  const workflowId = `ui-failing-${randomUUID().slice(0, 8)}`;
  started.push(workflowId);
  await client.workflow.start('appStatus', {
    args: [{ app: 'no-such-app-here', operator: 'alice' }],
    taskQueue: env.RUNBOOK_TASK_QUEUE!,
    workflowId,
  });
  // Whether it attaches while the run goes or after it failed, the verdict is the same.
  const terminal = inTerminal(['watch', workflowId], env);
  const { code } = await terminal.exited();
  expect({ code, output: terminal.text() }).toMatchObject({ code: 1 });
  expect(terminal.text()).toMatch(/✘ .*Couldn't find that app/);

  const json = await runCli(['watch', workflowId, '--json'], env);
  expect(json.code).toBe(1);
  expect(JSON.parse(json.stdout)).toMatchObject({ workflowId, state: 'FAILED', workflowType: 'appStatus' });

  const missing = await runCli(['watch', 'no-such-run-anywhere'], env);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain('No run no-such-run-anywhere in Temporal');
});

test('`runbook describe` gives purpose, steps, inputs, the UI input, workflow type and task queue', async () => {
  const { code, stdout } = await runCli(['describe', 'disaster-recovery'], env);
  expect(code).toBe(0);
  expect(stdout).toMatch(/^disaster-recovery: Restore the database from a backup/);
  expect(stdout).toMatch(/^ +\d+\. approval +Approval by a second person$/m);
  expect(stdout).toMatch(/^ {2}field +type +required +default +description$/m);
  expect(stdout).toMatch(/^ {2}backup +string +yes +the backup to restore/m);
  expect(stdout).toMatch(/^ {2}environment +string +one of /m);
  expect(stdout).toMatch(/^ {2}approvalTimeoutMinutes +number +no +60 +how long to wait for approval/m);
  expect(stdout).toContain('Workflow Type  disasterRecovery');
  expect(stdout).toContain(`Task Queue     ${env.RUNBOOK_TASK_QUEUE}`);
  expect(stdout).toContain('{"environment":"production","backup":"b016","operator":"alice","reason":"restore drill"}');

  // The workflow type works as a name too; an unknown name is a usage error naming the closest runbook.
  expect((await runCli(['describe', 'maintenanceOn'], env)).stdout).toMatch(/^maintenance-on: /);
  const unknown = await runCli(['describe', 'restore'], env);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toMatch(/Unknown runbook "restore": did you mean restore-backup\?/);
  const typo = await runCli(['schema', 'maintenance-onn'], env);
  expect(typo.code).toBe(2);
  expect(typo.stderr).toContain('did you mean maintenance-on?');
});

test("every runbook's schema is JSON Schema with its required fields, and its UI example passes its own check", async () => {
  for (const name of Object.keys(RUNBOOKS) as RunbookId[]) {
    const schema = await runCli(['schema', name], env);
    expect({ name, code: schema.code }).toEqual({ name, code: 0 });
    const parsed = JSON.parse(schema.stdout);
    expect(parsed).toMatchObject({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      title: `${RUNBOOKS[name].workflowType} input`,
      additionalProperties: false,
    });
    expect(Object.keys(parsed.properties)).toEqual(expect.arrayContaining(['environment', 'app', 'operator']));
    for (const field of parsed.required ?? []) expect(parsed.properties).toHaveProperty(field);

    const described = JSON.parse((await runCli(['describe', name, '--json'], env)).stdout);
    expect(described).toMatchObject({ runbook: name, workflowType: RUNBOOKS[name].workflowType });
    const check = RUNBOOKS[name].input.safeParse(described.example);
    expect({ name, issues: check.error?.issues ?? [] }).toEqual({ name, issues: [] });
    for (const field of Object.keys(described.example)) expect(parsed.properties).toHaveProperty(field);
  }
  const restore = JSON.parse((await runCli(['schema', 'restore-backup'], env)).stdout);
  expect(restore.required).toEqual(expect.arrayContaining(['backup', 'confirm']));
  expect(restore.properties.backup).toMatchObject({ type: 'string', pattern: expect.any(String) });
});

test('with Temporal unreachable, the CLI names the address it tried and how to start the dev server', async () => {
  // A port nothing listens on: taken, then given back.
  const port = await new Promise<number>((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = server.address() as net.AddressInfo;
      server.close(() => resolve(free));
    });
  });
  for (const args of [
    ['watch', 'some-run'],
    ['run', 'maintenance-on', '--env', 'staging'],
  ]) {
    const { code, stderr } = await runCli(args, { ...env, TEMPORAL_ADDRESS: `127.0.0.1:${port}` });
    expect({ args, code }).toEqual({ args, code: 1 });
    expect(stderr).toContain(`Cannot reach Temporal at 127.0.0.1:${port}`);
    expect(stderr).toContain('`npm run temporal start` (that is, `bash scripts/temporal.sh start`)');
    expect(stderr).toContain('`npm run demo`');
  }
});
