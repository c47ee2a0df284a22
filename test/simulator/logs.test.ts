import type { RunningSimulator } from '../../simulator';
import {
  createDyno,
  createLogSession,
  readLogStream,
  setSpeed,
  waitFor,
  waitUntilGone,
  withoutTimestamp,
} from './dynos-helpers';
import { ALFA, BRAVO, api, control, herokuClient, useSimulator } from './helpers';

let sim: RunningSimulator;
useSimulator(
  (started) => (sim = started),
  {},
  async () => {
    await setSpeed(sim, 600);
  },
);

const LOG_LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00 (app|heroku)\[[\w.]+\]: /;
const EMAIL = 'ops@csis-ilab.example';

/** The app's log (without tail), without timestamps. */
async function logOf(app: string, body: Record<string, unknown> = {}): Promise<string[]> {
  return (await readLogStream(await createLogSession(sim, app, body))).map(withoutTimestamp);
}

async function finishedDetached(app: string, command: string): Promise<string> {
  const { body } = await createDyno(sim, app, { command, attach: false });
  await waitUntilGone(sim, app, body.name);
  return body.name;
}

describe('POST /apps/{app}/log-sessions', () => {
  it('answers 201 with a logplex_url on this server that streams without credentials', async () => {
    const response = await api(sim, `/apps/${ALFA}/log-sessions`, {
      method: 'POST',
      body: { dyno: 'web.1', lines: 50, tail: false },
      headers: { Accept: 'application/vnd.heroku+json; version=3.sdk' },
    });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      logplex_url: `${sim.url}/logplex/sessions/${response.body.id}`,
      created_at: expect.stringMatching(/Z$/),
      updated_at: response.body.created_at,
    });

    const stream = await fetch(response.body.logplex_url, { headers: { Accept: 'text/event-stream' } });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(await stream.text()).toBe('');
  });

  it('answers 404 for an unknown app and 401 without a token; unknown sessions are 404', async () => {
    const unknownApp = await api(sim, '/apps/no-such-app/log-sessions', { method: 'POST', body: {} });
    expect(unknownApp.body).toMatchObject({ id: 'not_found', resource: 'app' });
    const unauthorized = await api(sim, `/apps/${ALFA}/log-sessions`, {
      method: 'POST',
      body: {},
      headers: { Authorization: '' },
    });
    expect(unauthorized.status).toBe(401);
    const stream = await fetch(`${sim.url}/logplex/sessions/00000000-0000-4000-8000-000000000000`);
    expect(stream.status).toBe(404);
    expect(await stream.json()).toEqual({
      id: 'not_found',
      message: 'Log session not found.',
      resource: 'log_session',
    });
  });

  it('serves the stream outside the API: no rate limit, no call log entry', async () => {
    const url = await createLogSession(sim, ALFA, {});
    await control(sim, 'PUT', '/rate-limit', { remaining: 0 });
    expect((await api(sim, '/account')).status).toBe(429);
    expect((await fetch(url)).status).toBe(200);
    const calls: Array<{ path: string }> = await control(sim, 'GET', '/calls');
    expect(calls.map((call) => call.path)).toEqual([`/apps/${ALFA}/log-sessions`, '/account']);
  });

  it('rejects a malformed body with 422', async () => {
    const response = await api(sim, `/apps/${ALFA}/log-sessions`, { method: 'POST', body: { lines: 'many' } });
    expect(response.status).toBe(422);
    expect(response.body).toEqual({ id: 'invalid_params', message: expect.stringMatching(/lines/) });
  });
});

describe('one-off dyno logs', () => {
  it("keeps a detached dyno's whole life readable after it is gone, exit status included", async () => {
    const name = await finishedDetached(ALFA, 'python manage.py migrate --noinput');
    expect((await api(sim, `/apps/${ALFA}/dynos/${name}`)).status).toBe(404);

    const lines = await readLogStream(await createLogSession(sim, ALFA, { dyno: name, lines: 50, tail: false }));
    for (const line of lines) expect(line).toMatch(LOG_LINE);
    expect(lines.map(withoutTimestamp)).toEqual([
      `heroku[${name}]: Starting process with command \`python manage.py migrate --noinput\``,
      `heroku[${name}]: State changed from starting to up`,
      `app[${name}]: Operations to perform:`,
      `app[${name}]:   Apply all migrations: admin, auth, contenttypes, infrastructure, locations, sessions, sites, writings`,
      `app[${name}]: Running migrations:`,
      `app[${name}]:   No migrations to apply.`,
      `heroku[${name}]: Process exited with status 0`,
      `heroku[${name}]: State changed from up to complete`,
    ]);
  });

  it('reports the scripted exit status', async () => {
    await control(sim, 'POST', '/dyno-outcomes', {
      pattern: 'rebuild_index',
      exitStatus: 1,
      output: ['Error: index unavailable'],
    });
    const name = await finishedDetached(ALFA, 'python manage.py rebuild_index');
    expect(await logOf(ALFA, { dyno: name, lines: 3 })).toEqual([
      `app[${name}]: Error: index unavailable`,
      `heroku[${name}]: Process exited with status 1`,
      `heroku[${name}]: State changed from up to complete`,
    ]);
  });

  it('shows only what has happened: a running dyno has no exit line yet', async () => {
    // Boots for 4 s (0.8 s here), then runs for 60 s.
    await setSpeed(sim, 5);
    await control(sim, 'POST', '/dyno-outcomes', {
      pattern: '^python manage.py long_task$',
      durationSeconds: 60,
      output: ['a', 'b'],
    });
    const { body: dyno } = await createDyno(sim, ALFA, { command: 'python manage.py long_task' });
    expect(await logOf(ALFA, { dyno: dyno.name })).toEqual([]);
    await waitFor(async () =>
      (await api(sim, `/apps/${ALFA}/dynos/${dyno.name}`)).body.state === 'up' ? true : undefined,
    );
    expect(await logOf(ALFA, { dyno: dyno.name })).toEqual([
      `heroku[${dyno.name}]: Starting process with command \`python manage.py long_task\``,
      `heroku[${dyno.name}]: State changed from starting to up`,
    ]);
  });

  it('logs a stop, a time_to_live and a client that never attaches (R13)', async () => {
    await control(sim, 'POST', '/dyno-outcomes', { pattern: '^sleep$', durationSeconds: 86_400, output: [] });
    const stopped = (await createDyno(sim, ALFA, { command: 'sleep' })).body.name;
    await waitFor(async () =>
      (await api(sim, `/apps/${ALFA}/dynos/${stopped}`)).body.state === 'up' ? true : undefined,
    );
    await api(sim, `/apps/${ALFA}/dynos/${stopped}/actions/stop`, { method: 'POST' });
    expect((await logOf(ALFA, { dyno: stopped })).slice(2)).toEqual([
      `heroku[${stopped}]: Stopping all processes with SIGTERM`,
      `heroku[${stopped}]: Process exited with status 143`,
      `heroku[${stopped}]: State changed from up to complete`,
    ]);

    const expired = (await createDyno(sim, ALFA, { command: 'sleep', time_to_live: 60 })).body.name;
    await waitUntilGone(sim, ALFA, expired);
    expect((await logOf(ALFA, { dyno: expired })).slice(2)).toEqual([
      `heroku[${expired}]: Stopping all processes with SIGTERM`,
      `heroku[${expired}]: Process exited with status 143`,
      `heroku[${expired}]: State changed from up to complete`,
    ]);

    // The client gets a couple of real seconds to attach whatever the speed.
    const abandoned = (await createDyno(sim, ALFA, { command: 'sleep', attach: true })).body.name;
    await waitUntilGone(sim, ALFA, abandoned);
    expect(await logOf(ALFA, { dyno: abandoned })).toEqual([
      `heroku[${abandoned}]: Awaiting client`,
      `heroku[${abandoned}]: Error R13 (Attach error) -> Failed to attach to process`,
      `heroku[${abandoned}]: Process exited with status 128`,
      `heroku[${abandoned}]: State changed from starting to complete`,
    ]);
    const exits = (await control(sim, 'GET', '/effects')).filter((e: { kind: string }) => e.kind === 'dyno-exit');
    expect(exits.map((e: { reason: string; status: number }) => [e.reason, e.status])).toEqual([
      ['stop', 143],
      ['ttl', 143],
      ['attach-timeout', 128],
    ]);
  });
});

describe('filters and lines', () => {
  it('filters by dyno (old name), dyno_name, process type and source, and returns the last `lines`', async () => {
    const first = await finishedDetached(ALFA, 'python manage.py migrate');
    const second = await finishedDetached(ALFA, 'python manage.py migrate');
    const byDyno = await logOf(ALFA, { dyno: first });
    expect(byDyno).toHaveLength(8);
    expect(await logOf(ALFA, { dyno_name: first })).toEqual(byDyno);
    expect(await logOf(ALFA, { dyno: 'run' })).toEqual([...byDyno, ...(await logOf(ALFA, { dyno: second }))]);
    expect(await logOf(ALFA, { type: 'run' })).toHaveLength(16);
    expect(await logOf(ALFA, { dyno: 'web' })).toEqual([]);

    const heroku = await logOf(ALFA, { dyno: first, source: 'heroku' });
    expect(heroku.every((line) => line.startsWith('heroku['))).toBe(true);
    expect(heroku).toHaveLength(4);
    expect(await logOf(ALFA, { source: 'app', lines: 2 })).toEqual([
      `app[${second}]: Running migrations:`,
      `app[${second}]:   No migrations to apply.`,
    ]);
    expect(await logOf(ALFA, { dyno: first, lines: 0 })).toEqual([]);
  });

  it("writes app[api] lines for dyno creation, config changes and scaling, and keeps the other app's log apart", async () => {
    await createDyno(sim, ALFA, { command: 'bash' });
    await herokuClient(sim).patch(`/apps/${ALFA}/config-vars`, { body: { MAINTENANCE_MODE: 'true' } });
    await herokuClient(sim).patch(`/apps/${ALFA}/formation`, {
      body: { updates: [{ type: 'worker', quantity: '0' }] },
    });
    const release = (
      await herokuClient(sim).get(`/apps/${ALFA}/releases`, { headers: { Range: 'version ..; order=desc,max=1' } })
    )[0];

    expect(await logOf(ALFA, { dyno: 'api' })).toEqual([
      `app[api]: Starting process with command \`bash\` by user ${EMAIL}`,
      `app[api]: Set MAINTENANCE_MODE config vars by user ${EMAIL}`,
      `app[api]: Release v${release.version} created by user ${EMAIL}`,
      `app[api]: Scaled to worker@0:Standard-1X by user ${EMAIL}`,
    ]);
    expect(await logOf(BRAVO)).toEqual([]);
  });
});

describe('tail', () => {
  it('streams lines as they happen until the client hangs up', async () => {
    await setSpeed(sim, 60);
    const url = await createLogSession(sim, ALFA, { dyno: 'run', tail: true });
    const streamed = readLogStream(url, (lines) =>
      lines.some((line) => line.includes('State changed from up to complete')),
    );
    const { body: dyno } = await createDyno(sim, ALFA, { command: 'python manage.py migrate --noinput' });

    const lines = (await streamed).map(withoutTimestamp);
    expect(lines[0]).toBe(`heroku[${dyno.name}]: Starting process with command \`python manage.py migrate --noinput\``);
    expect(lines.at(-2)).toBe(`heroku[${dyno.name}]: Process exited with status 0`);
    expect(lines).toHaveLength(8);
  });

  it('starts with the last `lines` lines, then keeps the stream open', async () => {
    const name = await finishedDetached(ALFA, 'python manage.py migrate');
    const url = await createLogSession(sim, ALFA, { dyno: name, lines: 1, tail: true });
    const response = await fetch(url, { headers: { Accept: 'text/event-stream' } });
    const reader = response.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(withoutTimestamp(first.replace(/^data: /, '').trimEnd())).toBe(
      `heroku[${name}]: State changed from up to complete`,
    );

    // Still open: a reset ends it (and forgets the session).
    const next = reader.read();
    await control(sim, 'POST', '/reset');
    expect((await next).done).toBe(true);
    expect((await fetch(url)).status).toBe(404);
  });

  it.each(['end', 'cut'] as const)(
    'drops every open stream on demand (how: %s), as logplex does now and then; the session stays valid',
    async (how) => {
      const name = await finishedDetached(ALFA, 'python manage.py migrate');
      const url = await createLogSession(sim, ALFA, { dyno: name, lines: 1, tail: true });
      const response = await fetch(url, { headers: { Accept: 'text/event-stream' } });
      const reader = response.body!.getReader();
      await reader.read();
      expect(await control(sim, 'GET', '/log-streams')).toEqual({ open: 1 });

      const next = reader.read();
      expect(await control(sim, 'POST', '/log-streams/drop', { how })).toEqual({ dropped: 1 });
      if (how === 'end') expect((await next).done).toBe(true);
      else await expect(next).rejects.toThrow();
      expect(await control(sim, 'GET', '/log-streams')).toEqual({ open: 0 });
      expect(await logOf(ALFA, { dyno: name, lines: 1 })).toEqual([
        `heroku[${name}]: State changed from up to complete`,
      ]);
    },
  );

  it('counts a stream as closed once its client hangs up', async () => {
    const url = await createLogSession(sim, ALFA, { dyno: 'run', tail: true });
    const abort = new AbortController();
    const response = await fetch(url, { headers: { Accept: 'text/event-stream' }, signal: abort.signal });
    expect(response.status).toBe(200);
    await waitFor(async () => ((await control(sim, 'GET', '/log-streams')).open === 1 ? true : undefined));
    abort.abort();
    await waitFor(async () => ((await control(sim, 'GET', '/log-streams')).open === 0 ? true : undefined));
  });
});
