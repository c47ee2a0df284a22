import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { ALL_SEARCH_ATTRIBUTES } from '../common/search-attributes';
import { checkHerokuAccount, checkSearchAttributes, StartupCheckError } from '../worker/startup-checks';
import { PACKAGE_ROOT } from '../lib/paths';
import { SealingKeys } from '../lib/sealing';
import { exited, killWorkers, spawnWorker, waitFor } from './support/worker-process';
import { TestSimulator } from './support/simulator';
import { uniqueTaskQueue } from './support/temporal';

// `runbook worker` as its own process, as it runs in production: it checks its Heroku token and its Temporal
// namespace before it polls, and refuses to start (no "worker ready") when either cannot work.

// The waits below give up on their own, with what they saw, well before this.
jest.setTimeout(300_000);

const address = process.env.RUNBOOK_TEST_TEMPORAL_ADDRESS!;
let sim: TestSimulator;
let connection: Connection;
let dir: string;
/** Every worker process this file starts: stopped by PID after each test, whatever happened. */
const children: ChildProcess[] = [];

beforeAll(async () => {
  if (!existsSync(path.join(PACKAGE_ROOT, 'dist', 'worker', 'main.js')))
    throw new Error('dist/ is missing: these tests run the compiled `runbook worker`; run `npm run build` first.');
  sim = await TestSimulator.start();
  connection = await Connection.connect({ address });
  dir = mkdtempSync(path.join(os.tmpdir(), 'worker-start-'));
});

afterEach(() => killWorkers(children));

afterAll(async () => {
  await connection?.close();
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function workerEnv(env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: 'default',
    RUNBOOK_TASK_QUEUE: uniqueTaskQueue('worker-start'),
    RUNBOOK_WORKFLOW_BUNDLE: process.env.RUNBOOK_TEST_WORKFLOW_BUNDLE,
    HEROKU_API_URL: sim.url,
    HEROKU_DATA_API_URL: sim.url,
    HEROKU_API_KEY: sim.token,
    RUNBOOK_AUDIT_DB: path.join(dir, `audit-${randomUUID()}.db`),
    RUNBOOK_LOG_LEVEL: 'info',
    RUNBOOK_SEAL_KEYS: '',
    ...env,
  };
}

/** Runs a worker that must refuse to start; returns what it printed. */
async function refusal(env: NodeJS.ProcessEnv): Promise<string> {
  const worker = spawnWorker(env, children);
  await waitFor(worker, 'exit');
  await exited(worker.child);
  const output = worker.output();
  expect({ exitCode: worker.child.exitCode, output }).toEqual({ exitCode: 1, output });
  expect(output).not.toContain('worker ready');
  return output;
}

test('with a wrong HEROKU_API_KEY the worker refuses to start, saying how to get a token, never printing it', async () => {
  const wrongToken = `wrong-${randomBytes(12).toString('hex')}`;
  const output = await refusal(workerEnv({ HEROKU_API_KEY: wrongToken }));
  expect(output).toContain('Heroku rejected HEROKU_API_KEY');
  expect(output).toContain(`GET /account at ${sim.url} answered 401`);
  expect(output).toContain('heroku authorizations:create');
  expect(output).not.toContain(wrongToken);
});

test('with an unreachable HEROKU_API_URL the worker refuses to start, naming it', async () => {
  // A port nobody listens on: the simulator's, once closed.
  const gone = await TestSimulator.start();
  const url = gone.url;
  await gone.close();
  const output = await refusal(workerEnv({ HEROKU_API_URL: url, HEROKU_DATA_API_URL: url }));
  expect(output).toContain(`Cannot reach the Heroku API at ${url} (HEROKU_API_URL)`);
  expect(output).not.toContain(sim.token);
});

test('on a namespace without the search attributes the runbooks write, the worker refuses, with the commands', async () => {
  const namespace = `no-attributes-${randomUUID().slice(0, 8)}`;
  await connection.workflowService.registerNamespace({
    namespace,
    workflowExecutionRetentionPeriod: msToTs('1 day'),
  });
  try {
    // A new namespace reaches the frontend's cache within seconds: wait until it answers for it.
    const deadline = Date.now() + 90_000;
    for (;;) {
      try {
        await connection.operatorService.listSearchAttributes({ namespace });
        break;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`namespace ${namespace} never became usable: ${err}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }

    const output = await refusal(workerEnv({ TEMPORAL_NAMESPACE: namespace }));
    expect(output).toContain(`Namespace "${namespace}" at ${address} (TEMPORAL_NAMESPACE) lacks search attributes`);
    expect(ALL_SEARCH_ATTRIBUTES).toHaveLength(6);
    for (const { name } of ALL_SEARCH_ATTRIBUTES) {
      expect(output).toContain(`${name}: missing`);
      expect(output).toContain(
        `temporal operator search-attribute create --namespace ${namespace} --name ${name} --type Keyword --address ${address}`,
      );
    }
  } finally {
    await connection.operatorService.deleteNamespace({ namespace }).catch(() => undefined);
  }
});

test('with the right token on a namespace with the search attributes, the worker is ready (sealing keys on), and stops on SIGTERM', async () => {
  // Mid-rotation: a new key first, the old one kept after it.
  const [next, old] = [SealingKeys.generate(), SealingKeys.generate()];
  const keys = new SealingKeys([next.privateKey, old.privateKey]);
  const worker = spawnWorker(workerEnv({ RUNBOOK_SEAL_KEYS: `${next.privateKey}, ${old.privateKey}` }), children);
  await waitFor(worker, 'worker ready');
  expect(worker.output()).toContain(`"herokuAccount":"`);
  // The log says sealing is on and prints the public key CLI users need; never a private key.
  expect(worker.output()).toContain(
    `"sealedConfigValues":"enabled (keys ${keys.keyIds().join(', ')}): CLI users seal with RUNBOOK_SEAL_PUBLIC_KEY=${next.publicKey}"`,
  );
  expect(worker.output()).not.toContain(next.privateKey);
  expect(worker.output()).not.toContain(old.privateKey);
  process.kill(worker.child.pid!, 'SIGTERM');
  await waitFor(worker, 'exit');
  expect(await exited(worker.child)).toEqual({ code: 0, signal: null });
  expect(worker.output()).toContain('worker stopped');
});

// The checks themselves, in this process: the answers a real Heroku or Temporal Cloud gives that the simulator and
// the dev server are not made to give.

const KEYWORD = 2;
const TEXT = 1;
const fakeTemporal = (answer: () => Promise<{ customAttributes: Record<string, number> }>) =>
  ({ operatorService: { listSearchAttributes: answer } }) as unknown as Parameters<typeof checkSearchAttributes>[0];

test('a search attribute of the wrong type is refused, with the commands that replace it', async () => {
  const customAttributes = Object.fromEntries(ALL_SEARCH_ATTRIBUTES.map(({ name }) => [name, KEYWORD]));
  customAttributes.HerokuApp = TEXT;
  const check = checkSearchAttributes(
    fakeTemporal(async () => ({ customAttributes })),
    'ops',
    '127.0.0.1:7233',
  );
  await expect(check).rejects.toThrow(StartupCheckError);
  const message = await check.catch((err: Error) => err.message);
  expect(message).toContain(
    'HerokuApp: registered as Text, not Keyword. Remove it (if nothing else uses it) and add it again: ' +
      'temporal operator search-attribute remove --namespace ops --name HerokuApp --yes && ' +
      'temporal operator search-attribute create --namespace ops --name HerokuApp --type Keyword',
  );
  expect(message).not.toContain('RunbookName');

  // All there: nothing to say.
  customAttributes.HerokuApp = KEYWORD;
  await expect(
    checkSearchAttributes(
      fakeTemporal(async () => ({ customAttributes })),
      'ops',
      'x:1',
    ),
  ).resolves.toEqual({});
});

test('a server that does not let the worker list search attributes (Temporal Cloud) gets a warning, not a refusal', async () => {
  const denied = Object.assign(new Error('7 PERMISSION_DENIED: Request unauthorized.'), { code: 7 });
  const result = await checkSearchAttributes(
    fakeTemporal(() => Promise.reject(denied)),
    'ops.a1b2c',
    'ops.a1b2c.tmprl.cloud:7233',
  );
  expect(result.warning).toMatch(/^could not list the search attributes of namespace "ops.a1b2c"/);
});

test('Heroku answering GET /account with 403 refuses the start; a 503 only warns', async () => {
  // A token that may not read its own account: a small server answering as Heroku does.
  const forbidding = createServer((_req, res) => {
    res.writeHead(403, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: 'forbidden', message: 'You do not have access to the account.' }));
  });
  await new Promise<void>((resolve) => forbidding.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(forbidding.address() as { port: number }).port}`;
    const refused = checkHerokuAccount({ apiUrl: url, dataApiUrl: url, apiKey: 'a-token-to-keep-quiet' });
    const message = await refused.then(
      () => 'started',
      (err: Error) => `${err.constructor.name}: ${err.message}`,
    );
    expect(message).toMatch(
      /^StartupCheckError: Heroku refused HEROKU_API_KEY: GET \/account at http:\S+ answered 403 \(forbidden\)/,
    );
    expect(message).toContain('heroku authorizations:create');
    expect(message).not.toContain('a-token-to-keep-quiet');
  } finally {
    await new Promise((resolve) => forbidding.close(resolve));
  }

  const heroku = { apiUrl: sim.url, dataApiUrl: sim.url, apiKey: sim.token };
  await sim.control('POST', 'faults', { method: 'GET', path: '/account', action: 'error', status: 503, count: 1 });
  expect(await checkHerokuAccount(heroku)).toEqual({
    email: null,
    warning: `GET /account at ${sim.url} answered 503 (service_unavailable): could not check HEROKU_API_KEY; starting all the same`,
  });
  await sim.reset();
  expect((await checkHerokuAccount(heroku)).email).toMatch(/@/);
});
