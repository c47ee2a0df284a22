import { startSimulator, type RunningSimulator } from '../../simulator';
import { ALFA, BRAVO, api, control, herokuClient, herokuError } from './helpers';

let sim: RunningSimulator;

beforeAll(async () => {
  sim = await startSimulator({ token: 'faults-token' });
});
afterAll(() => sim.close());
beforeEach(() => control(sim, 'POST', '/reset'));

/** fetch's rejection for a connection the server dropped. */
async function dropped(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return String((error as { cause?: { code?: string } }).cause?.code ?? error);
  }
  throw new Error('expected the connection to be dropped');
}

test('error: the next N matching requests get the status, with Heroku-shaped bodies; then service resumes', async () => {
  await control(sim, 'POST', '/faults', { path: `/apps/${ALFA}`, action: 'error', status: 503, count: 2 });
  const statuses = [];
  for (let i = 0; i < 3; i++) statuses.push(await api(sim, `/apps/${ALFA}`));
  expect(statuses.map((r) => r.status)).toEqual([503, 503, 200]);
  expect(statuses[0].body).toEqual({ id: 'service_unavailable', message: expect.any(String) });
  // Other paths are untouched, and the rule shows how often it fired.
  expect((await api(sim, `/apps/${BRAVO}`)).status).toBe(200);
  const { rules } = await control(sim, 'GET', '/faults');
  expect(rules).toEqual([expect.objectContaining({ id: 1, path: `/apps/${ALFA}`, hits: 2, count: 2 })]);
});

test('error 429 answers rate_limit, which heroku-client reports like the real thing', async () => {
  await control(sim, 'POST', '/faults', { path: '/account', action: 'error', status: 429, count: 1 });
  const error = await herokuError(herokuClient(sim).get('/account'));
  expect(error.statusCode).toBe(429);
  expect(error.body.id).toBe('rate_limit');
});

test('method and path patterns: * is one segment, ** any number', async () => {
  await control(sim, 'PUT', '/faults', {
    rules: [
      { method: 'PATCH', path: '/apps/*/config-vars', action: 'error', status: 500, count: 5 },
      { path: '/apps/**', action: 'error', status: 502, count: 1 },
    ],
  });
  // GET config-vars skips the PATCH-only rule and hits the ** rule once.
  expect((await api(sim, `/apps/${ALFA}/config-vars`)).status).toBe(502);
  expect((await api(sim, `/apps/${ALFA}/config-vars`)).status).toBe(200);
  const patch = await api(sim, `/apps/${BRAVO}/config-vars`, { method: 'PATCH', body: { FOO: 'bar' } });
  expect(patch.status).toBe(500);
  // An error fault applies nothing.
  expect((await api(sim, `/apps/${BRAVO}/config-vars`)).body.FOO).toBeUndefined();
  expect(await control(sim, 'GET', '/effects')).toEqual([]);
});

test('reset drops the connection before anything is applied', async () => {
  await control(sim, 'POST', '/faults', { method: 'PATCH', path: '/apps/*', action: 'reset', count: 1 });
  expect(await dropped(api(sim, `/apps/${ALFA}`, { method: 'PATCH', body: { maintenance: true } }))).toMatch(
    /ECONNRESET|UND_ERR_SOCKET|other side closed/,
  );
  expect((await api(sim, `/apps/${ALFA}`)).body.maintenance).toBe(false);
  const calls = await control(sim, 'GET', '/calls');
  expect(calls[0]).toMatchObject({ method: 'PATCH', status: null });
});

test('apply-then-fail (error): the change is applied and recorded, the client is told 503', async () => {
  await control(sim, 'POST', '/faults', {
    method: 'PATCH',
    path: '/apps/*/config-vars',
    action: 'apply-then-fail',
    count: 1,
  });
  const response = await api(sim, `/apps/${ALFA}/config-vars`, { method: 'PATCH', body: { MAINTENANCE_MODE: 'True' } });
  expect(response.status).toBe(503);
  expect(response.body.id).toBe('service_unavailable');
  expect((await api(sim, `/apps/${ALFA}/config-vars`)).body.MAINTENANCE_MODE).toBe('True');
  const effects = await control(sim, 'GET', '/effects');
  expect(effects.filter((effect: { kind: string }) => effect.kind === 'release')).toHaveLength(1);
});

test('apply-then-fail (drop): the change is applied, the connection dies without an answer', async () => {
  await control(sim, 'POST', '/faults', {
    method: 'PATCH',
    path: `/apps/${BRAVO}`,
    action: 'apply-then-fail',
    then: 'drop',
    count: 1,
  });
  expect(await dropped(api(sim, `/apps/${BRAVO}`, { method: 'PATCH', body: { maintenance: true } }))).toMatch(
    /ECONNRESET|UND_ERR_SOCKET|other side closed/,
  );
  expect((await api(sim, `/apps/${BRAVO}`)).body.maintenance).toBe(true);
  expect((await control(sim, 'GET', '/effects')).map((effect: { kind: string }) => effect.kind)).toEqual([
    'maintenance',
  ]);
});

test('latency delays the answer and then serves it', async () => {
  await control(sim, 'POST', '/faults', { path: '/account', action: 'latency', latencyMs: 300, count: 1 });
  const started = Date.now();
  const response = await api(sim, '/account');
  expect(response.status).toBe(200);
  expect(Date.now() - started).toBeGreaterThanOrEqual(250);
});

test('probabilistic faults are deterministic for a seed', async () => {
  const pattern = async (seed: number) => {
    await control(sim, 'PUT', '/faults', {
      seed,
      rules: [{ path: '/account', action: 'error', status: 500, probability: 0.5 }],
    });
    const statuses: number[] = [];
    for (let i = 0; i < 24; i++) statuses.push((await api(sim, '/account')).status);
    return statuses;
  };
  const first = await pattern(42);
  expect(await pattern(42)).toEqual(first);
  expect(first).toContain(500);
  expect(first).toContain(200);
  expect(await pattern(7)).not.toEqual(first);
});

test('invalid rules are refused naming the field; reset clears every rule', async () => {
  const bad = await fetch(`${sim.url}/__simulator/faults`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ path: '/account', action: 'explode', count: 1 }),
  });
  expect(bad.status).toBe(400);
  expect(((await bad.json()) as { message: string }).message).toMatch(/action/);
  const noCount = await fetch(`${sim.url}/__simulator/faults`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ path: '/account', action: 'error' }),
  });
  expect(((await noCount.json()) as { message: string }).message).toMatch(/count: give count/);

  await control(sim, 'POST', '/faults', { path: '/account', action: 'error', count: 10 });
  await control(sim, 'POST', '/reset');
  expect((await control(sim, 'GET', '/faults')).rules).toEqual([]);
  expect((await api(sim, '/account')).status).toBe(200);
});

test('time control: the speed factor is read and set through the control API, and reset restores it', async () => {
  expect(await control(sim, 'GET', '/clock')).toMatchObject({ speed: 1 });
  expect(await control(sim, 'PUT', '/clock', { speed: 60 })).toMatchObject({ speed: 60 });
  expect((await control(sim, 'GET', '/clock')).speed).toBe(60);
  const bad = await fetch(`${sim.url}/__simulator/clock`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ speed: 0 }),
  });
  expect(bad.status).toBe(400);
  await control(sim, 'POST', '/reset');
  expect((await control(sim, 'GET', '/clock')).speed).toBe(1);
});
