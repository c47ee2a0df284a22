import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { connect } from 'node:tls';
import { startSimulator, type RunningSimulator } from '../../simulator';
import {
  attachTo,
  createDyno,
  createLogSession,
  effectsOf,
  readLogStream,
  setSpeed,
  waitFor,
  waitUntilGone,
  withoutTimestamp,
} from './dynos-helpers';
import { ALFA, api, control, useSimulator } from './helpers';

let sim: RunningSimulator;
useSimulator(
  (started) => (sim = started),
  {},
  async () => {
    await setSpeed(sim, 600);
  },
);

const GREETING = 'rendezvous\r\n';
const CLI_SUFFIX = ' ; echo "\uFFFF heroku-command-exit-status: $?"';

async function attached(command: string): Promise<{ name: string; attachUrl: string }> {
  const { body } = await createDyno(sim, ALFA, { command, attach: true, env: { TERM: 'dumb' } });
  return { name: body.name, attachUrl: body.attach_url };
}

async function dynoLog(name: string): Promise<string[]> {
  return (await readLogStream(await createLogSession(sim, ALFA, { dyno: name }))).map(withoutTimestamp);
}

it('greets, streams the process output with \\r\\n line ends, then closes when the process exits', async () => {
  const { attachUrl } = await attached('python manage.py migrate');
  const client = await attachTo(sim, attachUrl);
  expect(await client.closed).toBe(
    GREETING +
      'Operations to perform:\r\n' +
      '  Apply all migrations: admin, auth, contenttypes, infrastructure, locations, sessions, sites, writings\r\n' +
      'Running migrations:\r\n' +
      '  No migrations to apply.\r\n',
  );
});

it("matches the command before the CLI's exit-status suffix and sends the marker; the process itself exits 0", async () => {
  await control(sim, 'POST', '/dyno-outcomes', {
    pattern: '^python manage\\.py rebuild_index$',
    exitStatus: 3,
    output: ['failed'],
  });
  const { name, attachUrl } = await attached(`python manage.py rebuild_index${CLI_SUFFIX}`);
  const client = await attachTo(sim, attachUrl);
  expect(await client.closed).toBe(`${GREETING}failed\r\n\uFFFF heroku-command-exit-status: 3\r\n`);

  // The shell's last command is the echo, so Heroku sees exit status 0.
  expect(await effectsOf(sim, 'dyno-exit')).toEqual([
    expect.objectContaining({ name, status: 0, commandStatus: 3, reason: 'exit' }),
  ]);
  expect((await dynoLog(name)).slice(-2)).toEqual([
    `heroku[${name}]: Process exited with status 0`,
    `heroku[${name}]: State changed from up to complete`,
  ]);
});

it('starts the process when the client attaches, and sends its output as it happens', async () => {
  await setSpeed(sim, 10);
  await control(sim, 'POST', '/dyno-outcomes', { pattern: '^slow$', durationSeconds: 30, output: ['one', 'two'] });
  const { name, attachUrl } = await attached('slow');
  // Booted (4 s = 400 ms here) and awaiting its client: still starting.
  await waitFor(async () => ((await dynoLog(name)).includes(`heroku[${name}]: Awaiting client`) ? true : undefined));
  expect((await api(sim, `/apps/${ALFA}/dynos/${name}`)).body.state).toBe('starting');

  const client = await attachTo(sim, attachUrl);
  await waitFor(async () => (client.received() === GREETING ? true : undefined));
  expect((await api(sim, `/apps/${ALFA}/dynos/${name}`)).body.state).toBe('up');
  // 30 s at 10× is 3 s: `one` after 1 s, `two` after 2 s, the exit after 3 s.
  await waitFor(async () => (client.received().includes('one\r\n') ? true : undefined));
  expect(client.received()).toBe(`${GREETING}one\r\n`);
  expect(await client.closed).toBe(`${GREETING}one\r\ntwo\r\n`);
  expect((await dynoLog(name)).slice(0, 3)).toEqual([
    `heroku[${name}]: Awaiting client`,
    `heroku[${name}]: Starting process with command \`slow\``,
    `heroku[${name}]: State changed from starting to up`,
  ]);
});

it("reads the client's stdin, ending with \\u0004 as the CLI sends it, without disturbing the session", async () => {
  const { attachUrl } = await attached('python manage.py migrate');
  const client = await attachTo(sim, attachUrl);
  await waitFor(async () => (client.received().startsWith(GREETING) ? true : undefined));
  client.socket.write('y\n\u0004');
  expect(await client.closed).toContain('No migrations to apply.\r\n');
});

it('closes at once, without a greeting, for an unknown or already used secret', async () => {
  const unknown = await attachTo(
    sim,
    `rendezvous://127.0.0.1:${new URL((await attached('bash')).attachUrl).port}/nope`,
  );
  expect(await unknown.closed).toBe('');

  await control(sim, 'POST', '/dyno-outcomes', { pattern: '^bash$', durationSeconds: 86_400 });
  const { attachUrl } = await attached('bash');
  const first = await attachTo(sim, attachUrl);
  await waitFor(async () => (first.received() === GREETING ? true : undefined));
  const second = await attachTo(sim, attachUrl);
  expect(await second.closed).toBe('');
  first.socket.destroy();
});

it('sends SIGHUP (exit 129) when the client hangs up before the process ends', async () => {
  await control(sim, 'POST', '/dyno-outcomes', { pattern: '^bash$', durationSeconds: 86_400 });
  const { name, attachUrl } = await attached('bash');
  const client = await attachTo(sim, attachUrl);
  await waitFor(async () => (client.received() === GREETING ? true : undefined));
  client.socket.destroy();

  await waitUntilGone(sim, ALFA, name);
  expect(await effectsOf(sim, 'dyno-exit')).toEqual([expect.objectContaining({ name, status: 129, reason: 'hangup' })]);
  expect((await dynoLog(name)).slice(-3)).toEqual([
    `heroku[${name}]: Client connection closed. Sending SIGHUP to all processes`,
    `heroku[${name}]: Process exited with status 129`,
    `heroku[${name}]: State changed from up to complete`,
  ]);
});

it('closes the connection when the dyno is stopped', async () => {
  await control(sim, 'POST', '/dyno-outcomes', { pattern: '^bash$', durationSeconds: 86_400, output: ['$ '] });
  const { name, attachUrl } = await attached('bash');
  const client = await attachTo(sim, attachUrl);
  await waitFor(async () => (client.received() === GREETING ? true : undefined));
  expect((await api(sim, `/apps/${ALFA}/dynos/${name}/actions/stop`, { method: 'POST' })).status).toBe(202);
  expect(await client.closed).toBe(GREETING);
  expect(await effectsOf(sim, 'dyno-exit')).toEqual([expect.objectContaining({ name, status: 143, reason: 'stop' })]);
});

it('drops attached clients on reset', async () => {
  await control(sim, 'POST', '/dyno-outcomes', { pattern: '^bash$', durationSeconds: 86_400 });
  const client = await attachTo(sim, (await attached('bash')).attachUrl);
  await waitFor(async () => (client.received() === GREETING ? true : undefined));
  await control(sim, 'POST', '/reset');
  expect(await client.closed).toBe(GREETING);
});

describe('certificate', () => {
  it('is served at /__simulator/tls and names 127.0.0.1 (CN and IP SAN)', async () => {
    const tls = await control(sim, 'GET', '/tls');
    expect(tls).toEqual({ certPath: sim.caCertPath, pem: readFileSync(sim.caCertPath, 'utf8') });
    const certificate = new X509Certificate(tls.pem);
    expect(certificate.subject).toBe('CN=127.0.0.1');
    expect(certificate.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(certificate.checkIP('127.0.0.1')).toBe('127.0.0.1');
  });

  it('is verified: a client that does not trust it cannot connect', async () => {
    const { attachUrl } = await attached('bash');
    const socket = connect({ host: '127.0.0.1', port: Number(new URL(attachUrl).port) });
    await expect(
      new Promise((resolve, reject) => {
        socket.once('secureConnect', resolve);
        socket.once('error', reject);
      }),
    ).rejects.toThrow(/self-signed certificate/);
  });
});

it('close() shuts the rendezvous server and its sessions, and removes the certificate file', async () => {
  const own = await startSimulator();
  await control(own, 'POST', '/dyno-outcomes', { pattern: '^bash$', durationSeconds: 86_400 });
  const { body } = await createDyno(own, ALFA, { command: 'bash', attach: true });
  const client = await attachTo(own, body.attach_url);
  await waitFor(async () => (client.received() === GREETING ? true : undefined));

  const started = Date.now();
  await own.close();
  expect(Date.now() - started).toBeLessThan(1000);
  expect(await client.closed).toBe(GREETING);
  expect(existsSync(own.caCertPath)).toBe(false);
  const refused = createConnection({ host: '127.0.0.1', port: Number(new URL(body.attach_url).port) });
  await expect(
    new Promise((resolve, reject) => refused.once('connect', resolve).once('error', reject)),
  ).rejects.toThrow(/ECONNREFUSED/);
});
