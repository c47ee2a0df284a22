import type { RunningSimulator } from '../../simulator';
import { effectsOf, setSpeed, waitUntilGone } from './dynos-helpers';
import { ALFA, type Json, api, control, useSimulator } from './helpers';
import { herokuCli } from '../../scripts/official-heroku-cli';

/**
 * The official Heroku CLI (npm `heroku` 11.10) against the simulator: `heroku run` over TLS rendezvous,
 * `run:detached` plus `heroku logs` over the SSE log stream, and `heroku ps`. Each test checks the CLI's exit status
 * and output, and what the simulator recorded: one `dyno-create` per run, and the exit the platform saw.
 */

let sim: RunningSimulator;
useSimulator(
  (started) => (sim = started),
  {},
  async () => {
    await setSpeed(sim, 600);
  },
);

const REBUILD_OUTPUT = [
  "WARNING: This will irreparably remove EVERYTHING from your search index in connection 'default'.",
  'Your choices after this are to restore from backups or rebuild via the `rebuild_index` command.',
  'Removing all documents from your index because you said so.',
  'All documents removed.',
  'Indexing 412 projects',
  'Indexing 87 initiatives',
  'Indexing 1264 entries',
  'Indexing 355 organizations',
];
const EXIT_SUFFIX = ' ; echo "\uFFFF heroku-command-exit-status: $?"';

/** `heroku run` needs the rendezvous certificate; nothing else does. */
function heroku(args: string[]) {
  return herokuCli(sim, args, { env: { NODE_EXTRA_CA_CERTS: sim.caCertPath } });
}

async function dynoCreations(): Promise<Json[]> {
  const calls: Json[] = await control(sim, 'GET', '/calls');
  return calls.filter((call) => call.method === 'POST' && call.path === `/apps/${ALFA}/dynos`);
}

describe('heroku run --exit-code', () => {
  it('runs rebuild_index attached: prints its output and exits 0', async () => {
    const result = await heroku(['run', '--exit-code', '-a', ALFA, '--', 'python', 'manage.py', 'rebuild_index']);

    expect(result.code).toBe(0);
    expect(result.stdout).toBe(REBUILD_OUTPUT.map((line) => `${line}\n`).join(''));
    expect(result.stderr).toMatch(
      /Running python manage\.py rebuild_index on csis-reconasia-alfa\.\.\. up, run\.\d{4}/,
    );

    expect((await dynoCreations()).map((call) => call.body)).toEqual([
      { attach: true, command: `python manage.py rebuild_index${EXIT_SUFFIX}`, env: { TERM: 'dumb' } },
    ]);
    const [created] = await effectsOf(sim, 'dyno-create');
    expect(await effectsOf(sim, 'dyno-create')).toHaveLength(1);
    expect(created).toMatchObject({
      app: ALFA,
      attach: true,
      type: 'run',
      command: `python manage.py rebuild_index${EXIT_SUFFIX}`,
    });
    expect(await effectsOf(sim, 'dyno-exit')).toEqual([
      expect.objectContaining({ name: created.name, status: 0, commandStatus: 0, reason: 'exit' }),
    ]);
    expect((await api(sim, `/apps/${ALFA}/dynos/${created.name}`)).status).toBe(404);
  });

  it("passes the remote command's exit status through", async () => {
    await control(sim, 'POST', '/dyno-outcomes', {
      pattern: 'rebuild_index',
      exitStatus: 3,
      output: ['elasticsearch.exceptions.ConnectionError: ConnectionError(<urllib3.connection.HTTPConnection>)'],
    });
    const result = await heroku(['run', '--exit-code', '-a', ALFA, '--', 'python', 'manage.py', 'rebuild_index']);

    expect(result.code).toBe(3);
    expect(result.stdout).toBe(
      'elasticsearch.exceptions.ConnectionError: ConnectionError(<urllib3.connection.HTTPConnection>)\n',
    );
    expect(result.stderr).toContain('Process exited with code 3');
    expect(await effectsOf(sim, 'dyno-create')).toHaveLength(1);
    // The dyno's own process ran `… ; echo`, which succeeded.
    expect(await effectsOf(sim, 'dyno-exit')).toEqual([expect.objectContaining({ status: 0, commandStatus: 3 })]);
  });

  it('without --exit-code, exits 0 whatever the remote status', async () => {
    await control(sim, 'POST', '/dyno-outcomes', {
      pattern: 'migrate',
      exitStatus: 1,
      output: ['CommandError: Conflicting migrations'],
    });
    const result = await heroku(['run', '-a', ALFA, '--', 'python', 'manage.py', 'migrate']);

    expect(result.code).toBe(0);
    expect(result.stdout).toBe('CommandError: Conflicting migrations\n');
    expect((await dynoCreations()).map((call) => call.body.command)).toEqual(['python manage.py migrate']);
    expect(await effectsOf(sim, 'dyno-exit')).toEqual([expect.objectContaining({ status: 1, reason: 'exit' })]);
  });
});

it('heroku run:detached, then heroku logs --dyno shows the run and its exit status', async () => {
  const detached = await heroku(['run:detached', '-a', ALFA, '--', 'python', 'manage.py', 'migrate', '--noinput']);
  expect(detached.code).toBe(0);
  const name = /Run heroku logs --app csis-reconasia-alfa --dyno (run\.\d{4}) to view the output\./.exec(
    detached.stdout,
  )?.[1];
  expect(name).toBeDefined();
  expect((await dynoCreations()).map((call) => call.body)).toEqual([
    { attach: false, command: 'python manage.py migrate --noinput', env: { TERM: 'dumb' } },
  ]);
  await waitUntilGone(sim, ALFA, name!);

  const logs = await heroku(['logs', '--dyno', name!, '-a', ALFA]);
  expect(logs.code).toBe(0);
  const lines = logs.stdout.trimEnd().split('\n');
  for (const line of lines)
    expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00 (app|heroku)\[run\.\d{4}\]: /);
  expect(lines.map((line) => line.replace(/^\S+ /, ''))).toEqual([
    `heroku[${name}]: Starting process with command \`python manage.py migrate --noinput\``,
    `heroku[${name}]: State changed from starting to up`,
    // The CLI trims each event, so indented output loses its indent.
    `app[${name}]: Operations to perform:`,
    `app[${name}]: Apply all migrations: admin, auth, contenttypes, infrastructure, locations, sessions, sites, writings`,
    `app[${name}]: Running migrations:`,
    `app[${name}]: No migrations to apply.`,
    `heroku[${name}]: Process exited with status 0`,
    `heroku[${name}]: State changed from up to complete`,
  ]);
  const sessions = ((await control(sim, 'GET', '/calls')) as Json[]).filter((call) =>
    call.path.endsWith('/log-sessions'),
  );
  expect(sessions.map((call) => call.body)).toEqual([{ dyno: name, lines: 100, tail: false }]);
  expect(await effectsOf(sim, 'dyno-create')).toHaveLength(1);
});

it('heroku ps lists the formation and a running one-off; heroku ps:stop stops it', async () => {
  await control(sim, 'POST', '/dyno-outcomes', { pattern: '^bash$', durationSeconds: 86_400 });
  const detached = await heroku(['run:detached', '-a', ALFA, '--', 'bash']);
  const name = /--dyno (run\.\d{4})/.exec(detached.stdout)![1];

  const ps = await heroku(['ps', '-a', ALFA]);
  expect(ps.code).toBe(0);
  expect(ps.stdout).toContain('=== run: one-off processes (1)');
  expect(ps.stdout).toMatch(new RegExp(`${name.replace('.', '\\.')} \\(Standard-1X\\): (starting|up) .*: bash`));
  expect(ps.stdout).toContain('=== web (Standard-1X): gunicorn newsilkroad.wsgi --log-file - (1)');
  expect(ps.stdout).toMatch(/^web\.1: up /m);
  expect(ps.stdout).toMatch(/^worker\.1: up /m);
  expect(ps.stdout).toMatch(/^scheduler\.1: up /m);

  const stop = await heroku(['ps:stop', '--dyno-name', name, '-a', ALFA]);
  expect(stop.code).toBe(0);
  expect((await api(sim, `/apps/${ALFA}/dynos/${name}`)).status).toBe(404);
  expect(await effectsOf(sim, 'dyno-stop')).toEqual([expect.objectContaining({ target: name, names: [name] })]);
  expect(await effectsOf(sim, 'dyno-exit')).toEqual([expect.objectContaining({ name, status: 143, reason: 'stop' })]);
});
