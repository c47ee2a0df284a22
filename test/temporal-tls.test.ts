// Temporal over TLS, for the worker and the CLI alike: the real dev server behind a TLS-terminating proxy that
// requires a client certificate (`temporal server start-dev` of CLI v1.5.1 has no TLS options), with the
// certificates made here. The worker and the CLI run as their own processes, configured by the TEMPORAL_*
// variables or by a profile of a TOML config file, as an operator would configure them for a TLS cluster.
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  clientConnectionOptions,
  describeTemporalConnection,
  nativeConnectionOptions,
  TemporalConnectionConfigError,
  temporalConnectionFromEnv,
} from '../lib/temporal-connection';
import { PACKAGE_ROOT } from '../lib/paths';
import { runCli } from './support/cli';
import { SealingKeys } from '../lib/sealing';
import { SEED_PEOPLE } from '../simulator';
import { exited, killWorkers, spawnWorker, waitFor, type WorkerProcess } from './support/worker-process';
import { TestSimulator } from './support/simulator';
import { uniqueTaskQueue } from './support/temporal';
import { createTestPki, startTlsProxy, type TestPki, type TlsProxy } from './support/tls-proxy';

// The waits below give up on their own, with what they saw, well before this.
jest.setTimeout(300_000);

const devServer = process.env.RUNBOOK_TEST_TEMPORAL_ADDRESS!;
let dir: string;
let pki: TestPki;
let proxy: TlsProxy;
let sim: TestSimulator;
/** Every worker process this file starts: killed by PID after each test, whatever happened. */
const children: ChildProcess[] = [];
const sealing = SealingKeys.generate();

beforeAll(async () => {
  if (!existsSync(path.join(PACKAGE_ROOT, 'dist', 'worker', 'main.js')))
    throw new Error('dist/ is missing: these tests run the compiled `runbook`; run `npm run build` first.');
  dir = mkdtempSync(path.join(os.tmpdir(), 'temporal-tls-'));
  pki = await createTestPki(path.join(dir, 'pki'));
  proxy = await startTlsProxy(pki, devServer);
  sim = await TestSimulator.start();
});

afterEach(() => killWorkers(children));

afterAll(async () => {
  await proxy?.close();
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * The environment of a process that reaches Temporal only through the proxy. Connection variables the developer's
 * shell may have are blanked (empty counts as unset), and no default temporal.toml is read (XDG_CONFIG_HOME).
 */
function connectionEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    XDG_CONFIG_HOME: dir,
    TEMPORAL_CONFIG_FILE: '',
    TEMPORAL_PROFILE: '',
    TEMPORAL_ADDRESS: '',
    TEMPORAL_NAMESPACE: '',
    TEMPORAL_API_KEY: '',
    TEMPORAL_TLS: '',
    TEMPORAL_TLS_CLIENT_CERT_PATH: '',
    TEMPORAL_TLS_CLIENT_KEY_PATH: '',
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: '',
    TEMPORAL_TLS_SERVER_NAME: '',
    ...env,
  };
}

/** Mutual TLS through the proxy, by the TEMPORAL_* variables. */
function tlsVariables(env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return connectionEnv({
    TEMPORAL_ADDRESS: proxy.address,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.caCertPath,
    TEMPORAL_TLS_CLIENT_CERT_PATH: pki.clientCertPath,
    TEMPORAL_TLS_CLIENT_KEY_PATH: pki.clientKeyPath,
    // The proxy's certificate names this host only, not 127.0.0.1.
    TEMPORAL_TLS_SERVER_NAME: pki.serverName,
    ...env,
  });
}

function workerEnv(connection: NodeJS.ProcessEnv, taskQueue: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...connection,
    RUNBOOK_TASK_QUEUE: taskQueue,
    RUNBOOK_WORKFLOW_BUNDLE: process.env.RUNBOOK_TEST_WORKFLOW_BUNDLE,
    HEROKU_API_URL: sim.url,
    HEROKU_DATA_API_URL: sim.url,
    HEROKU_API_KEY: sim.token,
    RUNBOOK_AUDIT_DB: path.join(dir, `audit-${randomUUID()}.db`),
    RUNBOOK_LOG_LEVEL: 'info',
    // The worker opens the identity proofs the CLI (below, as alice) seals to its public key.
    RUNBOOK_SEAL_KEYS: sealing.privateKey,
    // Other test files run runbooks on the same apps in the same namespace: this file's locks are its own.
    RUNBOOK_LOCK_PREFIX: `app-lock-${randomUUID().slice(0, 8)}`,
  };
}

async function stopWorker(worker: WorkerProcess): Promise<void> {
  process.kill(worker.child.pid!, 'SIGTERM');
  await waitFor(worker, 'exit', 120_000);
  expect({ exit: await exited(worker.child), output: worker.output() }).toEqual({
    exit: { code: 0, signal: null },
    output: expect.stringContaining('worker stopped'),
  });
}

/** `runbook run <runbook> --env staging --json` with `env`; the run's outcome. */
async function runStaging(runbook: string, env: NodeJS.ProcessEnv): Promise<{ workflowId: string; status: string }> {
  const { code, stdout, stderr } = await runCli(
    ['run', runbook, '--env', 'staging', '--reason', 'tls test', '--json'],
    {
      ...env,
      // Who runs it: the simulator's alice, proven with her own login.
      HEROKU_API_URL: sim.url,
      HEROKU_API_KEY: SEED_PEOPLE.alice.token,
      RUNBOOK_SEAL_PUBLIC_KEY: sealing.publicKey,
    },
  );
  expect({ code, stderr }).toEqual({ code: 0, stderr: expect.any(String) });
  return JSON.parse(stdout) as { workflowId: string; status: string };
}

async function maintenanceMode(): Promise<string | undefined> {
  return (await sim.api().get('/apps/csis-reconasia-bravo/config-vars')).MAINTENANCE_MODE;
}

test('with a client certificate, the worker and the CLI reach Temporal through TLS and run a runbook to completion', async () => {
  const taskQueue = uniqueTaskQueue('tls');
  const before = proxy.accepted;
  const worker = spawnWorker(workerEnv(tlsVariables(), taskQueue), children);
  await waitFor(worker, 'worker ready', 120_000);
  // The worker's only way to Temporal is the proxy, which pipes only connections with a certificate of our CA.
  expect(proxy.accepted).toBeGreaterThan(before);

  const cli = tlsVariables({ RUNBOOK_TASK_QUEUE: taskQueue });
  const outcome = await runStaging('maintenance-on', cli);
  expect(outcome.status).toBe('succeeded');
  expect(await maintenanceMode()).toBe('True');

  // A command that only reads, through the proxy too.
  const status = await runCli(['status', outcome.workflowId, '--json'], cli);
  expect({ code: status.code, stderr: status.stderr }).toEqual({ code: 0, stderr: '' });
  expect(JSON.parse(status.stdout)).toMatchObject({ workflowId: outcome.workflowId, state: 'COMPLETED' });

  await stopWorker(worker);
});

test('without a client certificate the proxy refuses the handshake, and the CLI and the worker say what to check', async () => {
  const noCertificate = tlsVariables({ TEMPORAL_TLS_CLIENT_CERT_PATH: '', TEMPORAL_TLS_CLIENT_KEY_PATH: '' });
  const refusedBefore = proxy.refused.length;

  const cli = await runCli(['status', 'maintenance-on.staging.never-started'], noCertificate);
  expect({ code: cli.code, stdout: cli.stdout }).toEqual({ code: 1, stdout: '' });
  expect(cli.stderr).toContain(
    `runbook: Cannot reach Temporal at ${proxy.address}, namespace default (TLS: server CA given, server name ${pki.serverName})`,
  );
  expect(cli.stderr).toMatch(
    /The server asks for a client certificate and none was given \(.+\): set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH\.\n$/,
  );
  // It was the proxy that refused: for want of a certificate.
  expect(proxy.refused.length).toBeGreaterThan(refusedBefore);
  expect(proxy.refused.slice(refusedBefore).join('\n')).toMatch(/certificate/i);

  const worker = spawnWorker(workerEnv(noCertificate, uniqueTaskQueue('tls-refused')), children);
  await waitFor(worker, 'exit', 120_000);
  const output = worker.output();
  expect({ exit: await exited(worker.child), output }).toEqual({ exit: { code: 1, signal: null }, output });
  expect(output).not.toContain('worker ready');
  expect(output).toContain(`Cannot reach Temporal at ${proxy.address}, namespace default (TLS:`);
  expect(output).toMatch(
    /The server asks for a client certificate and none was given \(.+\): set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH\./,
  );
  expect(output).toContain('The worker did not start.');
});

test('TLS settings that do not fit the server: the CLI says which one to change', async () => {
  const status = (env: NodeJS.ProcessEnv) => runCli(['status', 'maintenance-on.staging.never-started'], env);

  const plain = await status(connectionEnv({ TEMPORAL_ADDRESS: proxy.address }));
  expect(plain.code).toBe(1);
  expect(plain.stderr).toContain(`runbook: Cannot reach Temporal at ${proxy.address}, namespace default (no TLS)`);
  expect(plain.stderr).toContain(
    `${proxy.address} speaks TLS, and this connection does not use it: set TEMPORAL_TLS=true`,
  );

  const noServerName = await status(tlsVariables({ TEMPORAL_TLS_SERVER_NAME: '' }));
  expect(noServerName.code).toBe(1);
  expect(noServerName.stderr).toMatch(
    /The server's certificate does not name the host you connect to \(.+\): set TEMPORAL_TLS_SERVER_NAME to a name the certificate carries\.\n$/,
  );

  const noCa = await status(tlsVariables({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: '' }));
  expect(noCa.code).toBe(1);
  expect(noCa.stderr).toMatch(
    /The server's certificate is not signed by a CA this machine trusts \(.+\): give the CA that signed it in TEMPORAL_TLS_SERVER_CA_CERT_PATH\.\n$/,
  );

  // TLS (an API key turns it on) against the dev server itself, which speaks plain gRPC.
  const tlsToPlain = await status(
    connectionEnv({ TEMPORAL_ADDRESS: devServer, TEMPORAL_API_KEY: 'a-key-to-keep-quiet' }),
  );
  expect(tlsToPlain.code).toBe(1);
  expect(tlsToPlain.stderr).toContain(`(TLS: system CAs, API key)`);
  expect(tlsToPlain.stderr).toMatch(
    new RegExp(
      `${devServer} does not complete a TLS handshake \\(.+\\): it may not speak TLS; if so, set TEMPORAL_TLS=false`,
    ),
  );
  expect(tlsToPlain.stderr).not.toContain('a-key-to-keep-quiet');
});

test('a missing certificate file stops the CLI and the worker before they connect, naming the variable and the path', async () => {
  const missing = path.join(dir, 'no-such-client.pem');
  const env = tlsVariables({ TEMPORAL_TLS_CLIENT_CERT_PATH: missing });
  const refusedBefore = proxy.refused.length;
  const acceptedBefore = proxy.accepted;

  const cli = await runCli(['status', 'maintenance-on.staging.never-started'], env);
  expect({ code: cli.code, stderr: cli.stderr }).toEqual({
    code: 1,
    stderr: `runbook: TEMPORAL_TLS_CLIENT_CERT_PATH is ${missing}, which does not exist: point it at the client certificate (PEM).\n`,
  });

  const worker = spawnWorker(workerEnv(env, uniqueTaskQueue('tls-missing')), children);
  await waitFor(worker, 'exit', 120_000);
  expect(worker.child.exitCode).toBe(1);
  expect(worker.output()).toContain(`TEMPORAL_TLS_CLIENT_CERT_PATH is ${missing}, which does not exist`);
  expect([proxy.accepted, proxy.refused.length]).toEqual([acceptedBefore, refusedBefore]);
});

test('a profile of a TOML config file (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE) works as the variables do', async () => {
  const configFile = path.join(dir, 'temporal.toml');
  writeFileSync(
    configFile,
    [
      '# The default profile points elsewhere: the named profile must be the one used.',
      '[profile.default]',
      'address = "127.0.0.1:1"',
      '',
      '[profile.tls-proxy]',
      `address = "${proxy.address}"`,
      'namespace = "default"',
      '',
      '[profile.tls-proxy.tls]',
      `server_ca_cert_path = "${pki.caCertPath}"`,
      `client_cert_path = "${pki.clientCertPath}"`,
      `client_key_path = "${pki.clientKeyPath}"`,
      `server_name = "${pki.serverName}"`,
      '',
    ].join('\n'),
  );
  const profile = connectionEnv({ TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_PROFILE: 'tls-proxy' });
  const taskQueue = uniqueTaskQueue('tls-profile');
  const worker = spawnWorker(workerEnv(profile, taskQueue), children);
  await waitFor(worker, 'worker ready', 120_000);

  const cli = { ...profile, RUNBOOK_TASK_QUEUE: taskQueue };
  expect((await runStaging('maintenance-on', cli)).status).toBe('succeeded');
  expect(await maintenanceMode()).toBe('True');
  expect((await runStaging('maintenance-off', cli)).status).toBe('succeeded');
  expect(await maintenanceMode()).toBeUndefined();
  await stopWorker(worker);

  // An unknown profile is refused, naming the ones the file has.
  const unknown = await runCli(['status', 'x'], { ...profile, TEMPORAL_PROFILE: 'staging-cluster' });
  expect({ code: unknown.code, stderr: unknown.stderr }).toEqual({
    code: 1,
    stderr:
      `runbook: TEMPORAL_PROFILE is "staging-cluster", but the Temporal config file ${configFile} (TEMPORAL_CONFIG_FILE) ` +
      'has only the profiles "default", "tls-proxy": add a [profile.staging-cluster] table to it, or set ' +
      'TEMPORAL_PROFILE to one of its profiles.\n',
  });
});

// The settings themselves, in this process.

describe('temporalConnectionFromEnv', () => {
  test('nothing set: the local dev server, plain gRPC', () => {
    const settings = temporalConnectionFromEnv({});
    expect(settings).toEqual({
      address: '127.0.0.1:7233',
      namespace: 'default',
      tls: undefined,
      apiKey: undefined,
      metadata: undefined,
      origin: { profile: undefined, configFile: undefined },
    });
    expect(clientConnectionOptions(settings)).toEqual({ address: '127.0.0.1:7233', tls: false });
    expect(nativeConnectionOptions(settings)).toEqual({ address: '127.0.0.1:7233', tls: false });
  });

  test('TEMPORAL_API_KEY yields the API key and TLS (system CAs), as Temporal Cloud needs; TEMPORAL_TLS=false turns TLS off', () => {
    const env = {
      TEMPORAL_ADDRESS: 'ops.a1b2c.tmprl.cloud:7233',
      TEMPORAL_NAMESPACE: 'ops.a1b2c',
      TEMPORAL_API_KEY: 'the-api-key',
    };
    const settings = temporalConnectionFromEnv(env);
    const expected = { address: 'ops.a1b2c.tmprl.cloud:7233', tls: {}, apiKey: 'the-api-key' };
    expect(settings).toMatchObject({ namespace: 'ops.a1b2c', ...expected });
    expect(clientConnectionOptions(settings)).toEqual(expected);
    expect(nativeConnectionOptions(settings)).toEqual(expected);
    expect(describeTemporalConnection(settings)).toBe(
      'ops.a1b2c.tmprl.cloud:7233, namespace ops.a1b2c (TLS: system CAs, API key)',
    );

    const plain = temporalConnectionFromEnv({ ...env, TEMPORAL_TLS: 'false' });
    expect(clientConnectionOptions(plain)).toEqual({ ...expected, tls: false });
    expect(nativeConnectionOptions(plain)).toEqual({ ...expected, tls: false });
  });

  test('TEMPORAL_TLS=true alone: TLS with the system CAs; the certificate files are read into the options', () => {
    expect(temporalConnectionFromEnv({ TEMPORAL_TLS: 'true' }).tls).toEqual({});
    const settings = temporalConnectionFromEnv({
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.caCertPath,
      TEMPORAL_TLS_CLIENT_CERT_PATH: pki.clientCertPath,
      TEMPORAL_TLS_CLIENT_KEY_PATH: pki.clientKeyPath,
      TEMPORAL_TLS_SERVER_NAME: pki.serverName,
    });
    const tls = clientConnectionOptions(settings).tls as Record<string, unknown>;
    expect(Object.keys(tls).sort()).toEqual(['clientCertPair', 'serverNameOverride', 'serverRootCACertificate']);
    expect(Buffer.from(tls.serverRootCACertificate as Uint8Array).toString()).toBe(pki.pem.caCert);
    expect(tls.serverNameOverride).toBe(pki.serverName);
    expect(nativeConnectionOptions(settings).tls).toEqual(tls);
  });

  test('settings that cannot work are refused, saying which variable and what to do', () => {
    const refusal = (env: NodeJS.ProcessEnv) => {
      try {
        temporalConnectionFromEnv(env);
      } catch (err) {
        expect(err).toBeInstanceOf(TemporalConnectionConfigError);
        return (err as Error).message;
      }
      throw new Error(`accepted ${JSON.stringify(env)}`);
    };
    expect(refusal({ TEMPORAL_TLS: 'yes' })).toBe(
      'TEMPORAL_TLS is "yes": set it to true or false (or leave it unset).',
    );
    expect(refusal({ TEMPORAL_TLS_CLIENT_CERT_PATH: pki.clientCertPath })).toMatch(
      /^A client certificate is set but no client key: set both TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH/,
    );
    expect(refusal({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.clientKeyPath })).toBe(
      `TEMPORAL_TLS_SERVER_CA_CERT_PATH (${pki.clientKeyPath}) does not hold a PEM server's CA certificate ` +
        '(no "-----BEGIN CERTIFICATE-----" line).',
    );
    const missingFile = path.join(dir, 'missing.toml');
    expect(refusal({ TEMPORAL_CONFIG_FILE: missingFile })).toBe(
      `TEMPORAL_CONFIG_FILE is ${missingFile}, which does not exist: point it at your Temporal config (TOML) file, or unset it.`,
    );
    expect(refusal({ TEMPORAL_PROFILE: 'cloud', XDG_CONFIG_HOME: dir })).toBe(
      `TEMPORAL_PROFILE is "cloud", but there is no Temporal config file to read it from (TEMPORAL_CONFIG_FILE is not ` +
        `set and ${path.join(dir, 'temporalio', 'temporal.toml')} does not exist): set TEMPORAL_CONFIG_FILE to the ` +
        'TOML file that has that profile, or unset TEMPORAL_PROFILE.',
    );
    // A path in a profile: named by its key, profile and file.
    const configFile = path.join(dir, 'broken.toml');
    const missingKey = path.join(dir, 'no-such-key.pem');
    writeFileSync(
      configFile,
      `[profile.cloud]\naddress = "x:7233"\n[profile.cloud.tls]\nclient_cert_path = "${pki.clientCertPath}"\nclient_key_path = "${missingKey}"\n`,
    );
    expect(refusal({ TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_PROFILE: 'cloud' })).toBe(
      `client_key_path of profile "cloud" in ${configFile} is ${missingKey}, which does not exist: point it at the ` +
        'client private key (PEM).',
    );
    writeFileSync(configFile, '[profile.cloud\naddress = 1\n');
    expect(refusal({ TEMPORAL_CONFIG_FILE: configFile })).toMatch(
      new RegExp(`^Cannot use the Temporal config file ${configFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `),
    );
  });

  test('the API key never appears in the description', () => {
    const settings = temporalConnectionFromEnv({ TEMPORAL_API_KEY: 'secret-api-key-123' });
    expect(describeTemporalConnection(settings)).not.toContain('secret-api-key-123');
  });
});
