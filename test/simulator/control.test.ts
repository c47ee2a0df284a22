import type { RunningSimulator } from '../../simulator';
import { createDyno, effectsOf, setSpeed, waitUntilGone } from './dynos-helpers';
import { ALFA, BRAVO, CHINAPOWER, api, control, herokuClient, useSimulator } from './helpers';

let sim: RunningSimulator;
useSimulator((started) => (sim = started));

describe('GET /__simulator/calls', () => {
  it('logs every API request in order with its outcome, and none of the control requests', async () => {
    const first = await api(sim, `/apps/${ALFA}/releases?extended=true`);
    await control(sim, 'GET', '/state');
    await herokuClient(sim).patch(`/apps/${BRAVO}/config-vars`, { body: { FOO: 'bar' } });
    await api(sim, '/account', { headers: { Authorization: 'Bearer wrong' } });

    const calls = await control(sim, 'GET', '/calls');
    expect(calls).toEqual([
      {
        seq: 1,
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        receivedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        method: 'GET',
        path: `/apps/${ALFA}/releases`,
        query: { extended: 'true' },
        body: null,
        status: 200,
        requestId: first.headers.get('request-id'),
        sender: null,
      },
      expect.objectContaining({
        seq: 2,
        method: 'PATCH',
        path: `/apps/${BRAVO}/config-vars`,
        body: { FOO: 'bar' },
        status: 200,
      }),
      expect.objectContaining({ seq: 3, method: 'GET', path: '/account', body: null, status: 401 }),
    ]);
  });

  it("keeps who sent each request: the engine's Runbook-Activity header, else null", async () => {
    const sender = 'chaos-1-001 run-1 7 setMaintenanceConfigVar';
    await api(sim, '/account', { headers: { 'Runbook-Activity': sender } });
    await api(sim, '/account');
    expect((await control(sim, 'GET', '/calls')).map((call: { sender: unknown }) => call.sender)).toEqual([
      sender,
      null,
    ]);
  });

  it('records GETs from heroku-client without a body', async () => {
    await herokuClient(sim).get('/account');
    expect(await control(sim, 'GET', '/calls')).toEqual([expect.objectContaining({ path: '/account', body: null })]);
  });
});

describe('GET /__simulator/effects', () => {
  it('names the Request-Id of the request that made each effect, and none for what time made', async () => {
    const set = await api(sim, `/apps/${BRAVO}/config-vars`, { method: 'PATCH', body: { FOO: 'bar' } });
    const requestId = set.headers.get('request-id');
    expect(requestId).toEqual(expect.any(String));
    expect(await control(sim, 'GET', '/effects')).toEqual([
      expect.objectContaining({ kind: 'config_vars', requestId }),
      expect.objectContaining({ kind: 'release', requestId }),
    ]);

    // A one-off exits with time, not by a request: its exit names no request (its creation does).
    await setSpeed(sim, 600);
    const started = await createDyno(sim, ALFA, { command: 'echo hi', attach: false });
    await waitUntilGone(sim, ALFA, started.body.name);
    const [created] = await effectsOf(sim, 'dyno-create');
    expect(created.requestId).toBe(started.headers.get('request-id'));
    const [exit] = await effectsOf(sim, 'dyno-exit');
    expect(exit).toMatchObject({ name: started.body.name });
    expect(exit).not.toHaveProperty('requestId');
  });
});

describe('GET /__simulator/state', () => {
  it('exposes the whole simulated world', async () => {
    const state = await control(sim, 'GET', '/state');
    expect(state.account.email).toBe('ops@csis-ilab.example');
    expect(state.apps.map((app: { name: string }) => app.name)).toEqual([ALFA, BRAVO, CHINAPOWER]);
    expect(state.people.map((person: { email: string }) => person.email)).toEqual([
      'alice@csis.example',
      'bob@csis.example',
      'carol@csis.example',
    ]);
    expect(state.teams.map((team: { name: string }) => team.name)).toEqual(['csis-ilab']);
    expect(state.apps[0]).toHaveProperty('config_vars.SECRET_KEY');
    expect(state.effects).toEqual([]);
  });
});

describe('POST /__simulator/reset', () => {
  it('restores the seed and clears calls, effects and rate-limit buckets', async () => {
    const seed = await control(sim, 'GET', '/state');
    const client = herokuClient(sim);
    await client.patch(`/apps/${ALFA}`, { body: { maintenance: true } });
    await client.patch(`/apps/${ALFA}/config-vars`, { body: { MAINTENANCE_MODE: 'true' } });
    await client.patch(`/apps/${ALFA}/formation`, { body: { updates: [{ type: 'worker', quantity: 0 }] } });
    expect(await control(sim, 'GET', '/effects')).toHaveLength(4);

    expect(await control(sim, 'POST', '/reset')).toEqual({ reset: true });

    expect(await control(sim, 'GET', '/state')).toEqual(seed);
    expect(await control(sim, 'GET', '/calls')).toEqual([]);
    expect(await control(sim, 'GET', '/effects')).toEqual([]);
    expect(Number((await api(sim, '/account')).headers.get('ratelimit-remaining'))).toBe(4499);
  });
});

describe('control endpoints', () => {
  it('need no credentials and 404 unknown paths', async () => {
    expect((await fetch(`${sim.url}/__simulator/effects`)).status).toBe(200);
    const unknown = await fetch(`${sim.url}/__simulator/nope`);
    expect(unknown.status).toBe(404);
  });
});
