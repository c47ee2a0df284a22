import type { RunningSimulator } from '../../simulator';
import { createDyno, effectsOf, setSpeed, waitFor, waitUntilGone } from './dynos-helpers';
import { ALFA, BRAVO, type Json, api, control, herokuClient, useSimulator } from './helpers';

let sim: RunningSimulator;
useSimulator(
  (started) => (sim = started),
  {},
  async () => {
    await setSpeed(sim, 600);
  },
);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function oneOffRecord(app: string, name: string): Promise<Json> {
  const state = await control(sim, 'GET', '/state');
  return state.apps.find((a: Json) => a.name === app).dynos.one_offs.find((d: Json) => d.name === name);
}

async function stateOf(app: string, name: string): Promise<string | undefined> {
  const response = await api(sim, `/apps/${app}/dynos/${name}`);
  return response.status === 200 ? response.body.state : undefined;
}

/** Scripts the outcome of exactly `command`. */
async function scriptCommand(command: string, rule: Record<string, unknown>): Promise<void> {
  await control(sim, 'POST', '/dyno-outcomes', { pattern: `^${command}$`, ...rule });
}

describe('POST /apps/{app}/dynos', () => {
  it('creates a detached one-off: 201, run.NNNN, starting, no attach_url, and one dyno-create effect', async () => {
    const release = await herokuClient(sim).get(`/apps/${ALFA}/releases`, {
      headers: { Range: 'version ..; order=desc,max=1' },
    });
    const response = await createDyno(sim, ALFA, {
      attach: false,
      command: 'python manage.py migrate --noinput',
      env: { TERM: 'dumb' },
    });

    expect(response.status).toBe(201);
    const dyno = response.body;
    expect(dyno).toEqual({
      attach_url: null,
      command: 'python manage.py migrate --noinput',
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      id: expect.stringMatching(UUID),
      name: expect.stringMatching(/^run\.\d{4}$/),
      release: { id: release[0].id, version: release[0].version },
      app: { id: expect.stringMatching(UUID), name: ALFA },
      size: 'Standard-1X',
      state: 'starting',
      type: 'run',
      updated_at: dyno.created_at,
    });
    expect(await effectsOf(sim, 'dyno-create')).toEqual([
      expect.objectContaining({
        app: ALFA,
        name: dyno.name,
        id: dyno.id,
        command: 'python manage.py migrate --noinput',
        attach: false,
        type: 'run',
        size: 'Standard-1X',
      }),
    ]);
  });

  it('gives an attached one-off a rendezvous attach_url on 127.0.0.1, on its own port, with a secret', async () => {
    const { status, body } = await createDyno(sim, ALFA, { attach: true, command: 'python manage.py rebuild_index' });
    expect(status).toBe(201);
    const match = /^rendezvous:\/\/127\.0\.0\.1:(\d+)\/([0-9a-f]{48})$/.exec(body.attach_url);
    expect(match).not.toBeNull();
    expect(Number(match![1])).not.toBe(sim.port);
    expect((await effectsOf(sim, 'dyno-create'))[0]).toMatchObject({ name: body.name, attach: true });
  });

  it("accepts the CLI's extras: numeric env values (TTY), a lower-case size, a process type", async () => {
    const { status, body } = await createDyno(sim, BRAVO, {
      command: 'bash',
      env: { TERM: 'xterm', COLUMNS: 120, LINES: 40 },
      size: 'standard-2x',
      type: 'console',
      force_no_tty: null,
    });
    expect(status).toBe(201);
    expect(body).toMatchObject({
      size: 'Standard-2X',
      type: 'console',
      name: expect.stringMatching(/^console\.\d{4}$/),
    });
    expect((await oneOffRecord(BRAVO, body.name)).env).toEqual({ TERM: 'xterm', COLUMNS: '120', LINES: '40' });
  });

  it.each([
    [{}, /command/],
    [{ command: '' }, /command/],
    [{ command: 'bash', size: 'Huge-9X' }, /Invalid dyno size: Huge-9X/],
    [{ command: 'bash', size: 'Private-M' }, /Private Space/],
    [{ command: 'bash', time_to_live: -5 }, /time_to_live/],
    [{ command: 'bash', type: 'two words' }, /type/],
  ])('answers 422 invalid_params for %j', async (body, message) => {
    const response = await createDyno(sim, ALFA, body);
    expect(response.status).toBe(422);
    expect(response.body).toEqual({ id: 'invalid_params', message: expect.stringMatching(message) });
    expect(await effectsOf(sim, 'dyno-create')).toEqual([]);
  });

  it('creates (and records) the dyno even when the answer is lost: what a naive retry would duplicate', async () => {
    await control(sim, 'POST', '/faults', {
      method: 'POST',
      path: '/apps/*/dynos',
      action: 'apply-then-fail',
      count: 1,
    });
    const lost = await createDyno(sim, ALFA, { command: 'python manage.py rebuild_index' });
    expect(lost.status).toBe(503);
    const [created] = await effectsOf(sim, 'dyno-create');
    expect(((await api(sim, `/apps/${ALFA}/dynos`)).body as Json[]).map((d) => d.name)).toContain(created.name);
  });

  it('answers 404 for an unknown app and 401 without a valid token, creating nothing', async () => {
    expect((await createDyno(sim, 'no-such-app', { command: 'bash' })).body).toMatchObject({
      id: 'not_found',
      resource: 'app',
    });
    const unauthorized = await api(sim, `/apps/${ALFA}/dynos`, {
      method: 'POST',
      body: { command: 'bash' },
      headers: { Authorization: 'Bearer wrong' },
    });
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.body.id).toBe('unauthorized');
    expect(await effectsOf(sim, 'dyno-create')).toEqual([]);
  });
});

describe('one-off lifecycle in simulated time', () => {
  it('starts, comes up, exits after its simulated run and is gone: 404, not listed, one dyno-exit', async () => {
    await setSpeed(sim, 20);
    await scriptCommand('sleep 20', { durationSeconds: 20 });
    const { body: dyno } = await createDyno(sim, ALFA, { command: 'sleep 20' });

    expect(await waitFor(async () => ((await stateOf(ALFA, dyno.name)) === 'up' ? 'up' : undefined))).toBe('up');
    const listed: Json[] = (await api(sim, `/apps/${ALFA}/dynos`)).body;
    expect(listed.find((d) => d.name === dyno.name)).toMatchObject({ state: 'up', command: 'sleep 20' });

    await waitUntilGone(sim, ALFA, dyno.name);
    const gone = await api(sim, `/apps/${ALFA}/dynos/${dyno.name}`);
    expect(gone.body).toEqual({ id: 'not_found', message: "Couldn't find that dyno.", resource: 'dyno' });
    expect(((await api(sim, `/apps/${ALFA}/dynos`)).body as Json[]).map((d) => d.name)).not.toContain(dyno.name);

    // 4 s of boot and 20 s of run at 20× take 1.2 s of real time.
    const record = await oneOffRecord(ALFA, dyno.name);
    const exits = await effectsOf(sim, 'dyno-exit');
    expect(exits).toEqual([
      expect.objectContaining({ app: ALFA, name: dyno.name, id: dyno.id, status: 0, reason: 'exit' }),
    ]);
    expect(Date.parse(exits[0].at) - Date.parse(record.created_at)).toBe(1200);
  });

  it('runs the default commands for their scripted time: rebuild_index 120 s, migrate 20 s', async () => {
    const rebuild = (await createDyno(sim, ALFA, { command: 'python manage.py rebuild_index' })).body;
    const migrate = (await createDyno(sim, ALFA, { command: 'python manage.py migrate' })).body;
    await waitUntilGone(sim, ALFA, rebuild.name);
    for (const [dyno, seconds] of [
      [rebuild, 120],
      [migrate, 20],
    ] as const) {
      const { process: run } = await oneOffRecord(ALFA, dyno.name);
      // Timestamps keep whole milliseconds.
      const realMs = Date.parse(run.exits_at) - Date.parse(run.started_at);
      expect(Math.abs(realMs - (seconds * 1000) / 600)).toBeLessThanOrEqual(1);
    }
    expect((await effectsOf(sim, 'dyno-exit')).map((e) => [e.name, e.status])).toEqual([
      [migrate.name, 0],
      [rebuild.name, 0],
    ]);
  });

  it('exits with the status scripted for its command pattern', async () => {
    await control(sim, 'POST', '/dyno-outcomes', { pattern: 'rebuild_index', exitStatus: 1 });
    const { body: dyno } = await createDyno(sim, ALFA, { command: 'python manage.py rebuild_index' });
    await waitUntilGone(sim, ALFA, dyno.name);
    expect(await effectsOf(sim, 'dyno-exit')).toEqual([expect.objectContaining({ name: dyno.name, status: 1 })]);
  });

  it('is killed with SIGTERM (143) when it outlives its time_to_live', async () => {
    await setSpeed(sim, 20);
    await scriptCommand('python manage.py long_task', { durationSeconds: 86_400 });
    const { body: dyno } = await createDyno(sim, ALFA, { command: 'python manage.py long_task', time_to_live: 10 });
    await waitUntilGone(sim, ALFA, dyno.name);
    const [exit] = await effectsOf(sim, 'dyno-exit');
    expect(exit).toMatchObject({ name: dyno.name, status: 143, reason: 'ttl' });
    expect(Date.parse(exit.at) - Date.parse((await oneOffRecord(ALFA, dyno.name)).created_at)).toBe(500);
  });

  it('exits normally when it finishes within its time_to_live', async () => {
    const { body: dyno } = await createDyno(sim, ALFA, { command: 'python manage.py migrate', time_to_live: 3600 });
    await waitUntilGone(sim, ALFA, dyno.name);
    expect(await effectsOf(sim, 'dyno-exit')).toEqual([expect.objectContaining({ status: 0, reason: 'exit' })]);
  });
});

describe('GET /apps/{app}/dynos', () => {
  it('lists web.1, worker.1 and scheduler.1, following the formation', async () => {
    const names = async () =>
      ((await herokuClient(sim).get(`/apps/${ALFA}/dynos`)) as Json[]).map((d) => d.name).sort();
    expect(await names()).toEqual(['scheduler.1', 'web.1', 'worker.1']);
    const web: Json = await herokuClient(sim).get(`/apps/${ALFA}/dynos/web.1`);
    expect(web).toMatchObject({
      type: 'web',
      state: 'up',
      size: 'Standard-1X',
      command: 'gunicorn newsilkroad.wsgi --log-file -',
      attach_url: null,
      app: { name: ALFA },
    });

    await herokuClient(sim).patch(`/apps/${ALFA}/formation`, {
      body: {
        updates: [
          { type: 'web', quantity: '3' },
          { type: 'worker', quantity: 0, size: 'Standard-2X' },
        ],
      },
    });
    expect(await names()).toEqual(['scheduler.1', 'web.1', 'web.2', 'web.3']);
    await herokuClient(sim).patch(`/apps/${ALFA}/formation/web`, { body: { quantity: 1, size: 'Performance-M' } });
    expect(await herokuClient(sim).get(`/apps/${ALFA}/dynos/web.1`)).toMatchObject({ size: 'Performance-M' });
    expect((await api(sim, `/apps/${ALFA}/dynos/web.2`)).status).toBe(404);
  });

  it('lists running one-offs next to the formation dynos', async () => {
    await scriptCommand('bash', { durationSeconds: 86_400 });
    const { body: dyno } = await createDyno(sim, BRAVO, { command: 'bash', attach: false });
    const listed: Json[] = await herokuClient(sim).get(`/apps/${BRAVO}/dynos`);
    expect(listed.map((d) => d.name).sort()).toEqual([dyno.name, 'scheduler.1', 'web.1', 'worker.1']);
  });

  it('finds a dyno by name or id', async () => {
    const byName: Json = await herokuClient(sim).get(`/apps/${ALFA}/dynos/worker.1`);
    expect(await herokuClient(sim).get(`/apps/${ALFA}/dynos/${byName.id}`)).toEqual(byName);
    const { body: oneOff } = await createDyno(sim, ALFA, { command: 'python manage.py rebuild_index' });
    expect(await herokuClient(sim).get(`/apps/${ALFA}/dynos/${oneOff.id}`)).toMatchObject({ name: oneOff.name });
  });

  it('answers 404 not_found for an unknown dyno', async () => {
    const response = await api(sim, `/apps/${ALFA}/dynos/run.0000`);
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ id: 'not_found', message: "Couldn't find that dyno.", resource: 'dyno' });
  });
});

describe('stop', () => {
  it('ends a running one-off at once with SIGTERM (143): 202 {}, dyno-stop, then dyno-exit', async () => {
    await scriptCommand('bash', { durationSeconds: 86_400 });
    const { body: dyno } = await createDyno(sim, ALFA, { command: 'bash' });
    const response = await api(sim, `/apps/${ALFA}/dynos/${dyno.name}/actions/stop`, { method: 'POST' });
    expect(response.status).toBe(202);
    expect(response.body).toEqual({});
    expect((await api(sim, `/apps/${ALFA}/dynos/${dyno.name}`)).status).toBe(404);

    const effects: Json[] = await control(sim, 'GET', '/effects');
    expect(effects.map((e) => e.kind)).toEqual(['dyno-create', 'dyno-stop', 'dyno-exit']);
    expect(effects[1]).toMatchObject({ app: ALFA, scope: 'dyno', target: dyno.name, names: [dyno.name] });
    expect(effects[2]).toMatchObject({ name: dyno.name, status: 143, reason: 'stop' });
  });

  it('finds the dyno by id, and answers 404 once it is gone', async () => {
    await scriptCommand('bash', { durationSeconds: 86_400 });
    const { body: dyno } = await createDyno(sim, ALFA, { command: 'bash' });
    expect((await api(sim, `/apps/${ALFA}/dynos/${dyno.id}/actions/stop`, { method: 'POST' })).status).toBe(202);
    const again = await api(sim, `/apps/${ALFA}/dynos/${dyno.id}/actions/stop`, { method: 'POST' });
    expect(again.status).toBe(404);
    expect(again.body.id).toBe('not_found');
    expect(await effectsOf(sim, 'dyno-stop')).toHaveLength(1);
  });

  it('replaces a stopped formation dyno, since the formation still wants it', async () => {
    // The replacement boots for 5 s, 2.5 s here.
    await setSpeed(sim, 2);
    const before: Json = await herokuClient(sim).get(`/apps/${ALFA}/dynos/worker.1`);
    expect((await api(sim, `/apps/${ALFA}/dynos/worker.1/actions/stop`, { method: 'POST' })).status).toBe(202);
    const after: Json = await herokuClient(sim).get(`/apps/${ALFA}/dynos/worker.1`);
    expect(after.id).not.toBe(before.id);
    expect(after.state).toBe('starting');
    expect(await waitFor(async () => ((await stateOf(ALFA, 'worker.1')) === 'up' ? true : undefined))).toBe(true);
    expect(await effectsOf(sim, 'dyno-stop')).toEqual([
      expect.objectContaining({ scope: 'dyno', target: 'worker.1', names: ['worker.1'] }),
    ]);
  });
});

describe('restart', () => {
  it('DELETE of a formation dyno replaces it: new id, starting for a while, dyno-restart', async () => {
    await setSpeed(sim, 1);
    const before: Json = await herokuClient(sim).get(`/apps/${ALFA}/dynos/web.1`);
    const response = await api(sim, `/apps/${ALFA}/dynos/web.1`, { method: 'DELETE' });
    expect(response.status).toBe(202);
    expect(response.body).toEqual({});
    expect(await herokuClient(sim).get(`/apps/${ALFA}/dynos/web.1`)).toMatchObject({ state: 'starting' });
    expect((await api(sim, `/apps/${ALFA}/dynos/${before.id}`)).status).toBe(404);
    expect(await effectsOf(sim, 'dyno-restart')).toEqual([
      expect.objectContaining({ app: ALFA, scope: 'dyno', target: 'web.1', names: ['web.1'] }),
    ]);
  });

  it('DELETE of a run one-off stops it', async () => {
    await scriptCommand('bash', { durationSeconds: 86_400 });
    const { body: dyno } = await createDyno(sim, ALFA, { command: 'bash' });
    expect((await api(sim, `/apps/${ALFA}/dynos/${dyno.name}`, { method: 'DELETE' })).status).toBe(202);
    expect((await api(sim, `/apps/${ALFA}/dynos/${dyno.name}`)).status).toBe(404);
    expect((await control(sim, 'GET', '/effects')).map((e: Json) => e.kind)).toEqual([
      'dyno-create',
      'dyno-restart',
      'dyno-exit',
    ]);
  });

  it('DELETE of a one-off with a custom type leaves it running (heroku/platform-api#57)', async () => {
    await scriptCommand('bash', { durationSeconds: 86_400 });
    const { body: dyno } = await createDyno(sim, ALFA, { command: 'bash', type: 'test' });
    expect((await api(sim, `/apps/${ALFA}/dynos/${dyno.name}`, { method: 'DELETE' })).status).toBe(202);
    expect((await api(sim, `/apps/${ALFA}/dynos/${dyno.name}`)).status).toBe(200);
    expect(await effectsOf(sim, 'dyno-restart')).toEqual([]);
  });

  it('DELETE /apps/{app}/dynos restarts every formation dyno and leaves one-offs alone', async () => {
    await scriptCommand('bash', { durationSeconds: 86_400 });
    const { body: dyno } = await createDyno(sim, ALFA, { command: 'bash' });
    expect((await api(sim, `/apps/${ALFA}/dynos`, { method: 'DELETE' })).status).toBe(202);
    expect((await api(sim, `/apps/${ALFA}/dynos/${dyno.name}`)).status).toBe(200);
    expect(await effectsOf(sim, 'dyno-restart')).toEqual([
      expect.objectContaining({ scope: 'app', target: ALFA, names: ['web.1', 'worker.1', 'scheduler.1'] }),
    ]);
  });

  it('DELETE /apps/{app}/formations/{type} restarts that process type; 404 for an unknown one', async () => {
    await herokuClient(sim).patch(`/apps/${ALFA}/formation/web`, { body: { quantity: 2 } });
    expect((await api(sim, `/apps/${ALFA}/formations/web`, { method: 'DELETE' })).status).toBe(202);
    expect(await effectsOf(sim, 'dyno-restart')).toEqual([
      expect.objectContaining({ scope: 'type', target: 'web', names: ['web.1', 'web.2'] }),
    ]);
    const unknown = await api(sim, `/apps/${ALFA}/formations/clock`, { method: 'DELETE' });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({
      id: 'not_found',
      message: "Couldn't find that process type (clock).",
      resource: 'formation',
    });
  });

  it('POST /apps/{app}/formations/{type}/actions/stop stops all dynos of the type, one-offs (`run`) included', async () => {
    await scriptCommand('bash', { durationSeconds: 86_400 });
    const first = (await createDyno(sim, ALFA, { command: 'bash' })).body;
    const second = (await createDyno(sim, ALFA, { command: 'bash', attach: true })).body;
    const response = await api(sim, `/apps/${ALFA}/formations/run/actions/stop`, { method: 'POST' });
    expect(response.status).toBe(202);
    expect(response.body).toEqual({});
    for (const dyno of [first, second]) expect((await api(sim, `/apps/${ALFA}/dynos/${dyno.name}`)).status).toBe(404);
    expect(await effectsOf(sim, 'dyno-stop')).toEqual([
      expect.objectContaining({ scope: 'type', target: 'run', names: [first.name, second.name] }),
    ]);
    expect((await effectsOf(sim, 'dyno-exit')).map((e) => e.status)).toEqual([143, 143]);

    // With nothing of that type running, `run` is unknown.
    expect((await api(sim, `/apps/${ALFA}/formations/run/actions/stop`, { method: 'POST' })).status).toBe(404);
    expect((await api(sim, `/apps/${ALFA}/formations/worker/actions/stop`, { method: 'POST' })).status).toBe(202);
  });
});

describe('control: /__simulator/dyno-outcomes', () => {
  it('lists the defaults: rebuild_index and migrate', async () => {
    const { rules, defaults } = await control(sim, 'GET', '/dyno-outcomes');
    expect(rules).toEqual([]);
    expect(defaults.map((rule: Json) => [rule.pattern, rule.exitStatus, rule.durationSeconds])).toEqual([
      ['^python manage\\.py rebuild_index\\b', 0, 120],
      ['^python manage\\.py migrate\\b', 0, 20],
    ]);
  });

  it('takes each field from the newest matching rule that sets it, then from the defaults', async () => {
    await control(sim, 'POST', '/dyno-outcomes', { pattern: 'rebuild_index', exitStatus: 3, durationSeconds: 1 });
    await control(sim, 'POST', '/dyno-outcomes', { pattern: 'rebuild_index', exitStatus: 4 });
    const { body: dyno } = await createDyno(sim, ALFA, { command: 'python manage.py rebuild_index' });
    const { outcome } = await oneOffRecord(ALFA, dyno.name);
    expect(outcome.exit_status).toBe(4);
    expect(outcome.duration_seconds).toBe(1);
    expect(outcome.output).toContain('All documents removed.');

    const { body: other } = await createDyno(sim, ALFA, { command: './bin/unknown --flag' });
    expect((await oneOffRecord(ALFA, other.name)).outcome).toEqual({
      exit_status: 0,
      duration_seconds: 3,
      output: ['Ran `./bin/unknown --flag` (no scripted output for this command).'],
    });
  });

  it('replaces the rules with PUT, clears them with DELETE, and reset restores the defaults', async () => {
    const put = await control(sim, 'PUT', '/dyno-outcomes', {
      rules: [{ pattern: 'migrate', exitStatus: 2, output: ['boom'] }],
    });
    expect(put.rules).toEqual([{ pattern: 'migrate', exitStatus: 2, output: ['boom'] }]);
    expect((await control(sim, 'DELETE', '/dyno-outcomes')).rules).toEqual([]);

    await control(sim, 'POST', '/dyno-outcomes', { pattern: 'migrate', exitStatus: 2 });
    await control(sim, 'POST', '/reset');
    expect((await control(sim, 'GET', '/dyno-outcomes')).rules).toEqual([]);
  });

  it.each([
    [{ pattern: '(' }, /pattern: must be a valid regular expression/],
    [{ pattern: 'x', exitStatus: 256 }, /exitStatus/],
    [{ pattern: 'x', durationSeconds: -1 }, /durationSeconds/],
    [{ pattern: 'x', surprise: true }, /surprise/],
  ])('answers 400 bad_request for the rule %j', async (rule, message) => {
    const response = await fetch(`${sim.url}/__simulator/dyno-outcomes`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(rule),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ id: 'bad_request', message: expect.stringMatching(message) });
  });
});
