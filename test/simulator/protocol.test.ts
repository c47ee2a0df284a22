import { startSimulator, type RunningSimulator } from '../../simulator';
import { ALFA, V3, api, herokuClient, herokuError, rawGet } from './helpers';

let sim: RunningSimulator;

beforeAll(async () => {
  sim = await startSimulator({ token: 'protocol-token' });
});
afterAll(async () => {
  await sim.close();
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('authentication', () => {
  it('accepts heroku-client Basic ":token" auth', async () => {
    const app = await herokuClient(sim).get(`/apps/${ALFA}`);
    expect(app.name).toBe(ALFA);
  });

  it('accepts Bearer auth (the CLI form)', async () => {
    const response = await api(sim, '/account');
    expect(response.status).toBe(200);
    expect(response.body.email).toBe('ops@csis-ilab.example');
  });

  it('ignores the user part of Basic auth', async () => {
    const basic = Buffer.from(`someone@example.com:${sim.token}`).toString('base64');
    const response = await api(sim, '/account', { headers: { Authorization: `Basic ${basic}` } });
    expect(response.status).toBe(200);
  });

  it.each([
    ['a wrong Bearer token', { Authorization: 'Bearer nope' }],
    ['a wrong Basic token', { Authorization: `Basic ${Buffer.from(':nope').toString('base64')}` }],
    ['no credentials', { Authorization: '' }],
  ])('answers 401 unauthorized for %s', async (_case, headers) => {
    const response = await api(sim, `/apps/${ALFA}`, { headers });
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ id: 'unauthorized', message: 'Invalid credentials provided.' });
  });

  it('rejects heroku-client with a wrong token with statusCode 401', async () => {
    const error = await herokuError(herokuClient({ ...sim, token: 'wrong' }).get('/account'));
    expect(error.statusCode).toBe(401);
    expect(error.body.id).toBe('unauthorized');
  });
});

describe('Accept header', () => {
  it.each(['application/json', 'application/vnd.heroku+json', 'application/vnd.heroku+json; version=2', ''])(
    'answers 406 not_acceptable for %j',
    async (accept) => {
      const response = await api(sim, '/account', { headers: { Accept: accept } });
      expect(response.status).toBe(406);
      expect(response.body.id).toBe('not_acceptable');
      expect(response.body.message).toContain('application/vnd.heroku+json; version=3');
    },
  );

  it.each([V3, `${V3}.sdk`, `${V3}.filters`, `${V3}.pipelines`, 'application/vnd.heroku+json;version=3.run-inside'])(
    'accepts %j',
    async (accept) => {
      const response = await api(sim, `/apps/${ALFA}`, { headers: { Accept: accept } });
      expect(response.status).toBe(200);
    },
  );
});

describe('response headers', () => {
  it('sends a unique Request-Id, RateLimit-Remaining and JSON on successes and errors alike', async () => {
    const responses = [
      await api(sim, '/account'),
      await api(sim, '/apps/no-such-app'),
      await api(sim, '/account', { headers: { Authorization: 'Bearer nope' } }),
      await api(sim, '/account', { headers: { Accept: 'text/html' } }),
    ];
    expect(responses.map((r) => r.status)).toEqual([200, 404, 401, 406]);
    for (const response of responses) {
      expect(response.headers.get('request-id')).toMatch(UUID);
      expect(response.headers.get('ratelimit-remaining')).toMatch(/^\d+$/);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    }
    expect(new Set(responses.map((r) => r.headers.get('request-id'))).size).toBe(responses.length);
  });

  it('never answers 304 (heroku-client crashes on it), even to conditional requests', async () => {
    const headers = { Accept: V3, Authorization: `Bearer ${sim.token}` };
    expect(await rawGet(sim, `/apps/${ALFA}`, { ...headers, 'If-None-Match': '*' })).toBe(200);
    expect(await rawGet(sim, `/apps/${ALFA}`, { ...headers, 'If-Modified-Since': new Date().toUTCString() })).toBe(200);
  });
});

describe('errors', () => {
  it('answers an unknown app with Heroku not_found and resource app', async () => {
    const error = await herokuError(herokuClient(sim).get('/apps/no-such-app'));
    expect(error.statusCode).toBe(404);
    expect(error.body).toEqual({ id: 'not_found', message: "Couldn't find that app.", resource: 'app' });
  });

  it('answers unknown endpoints and wrong verbs with the endpoint not_found message', async () => {
    for (const [method, path] of [
      ['GET', '/no/such/endpoint'],
      ['DELETE', `/apps/${ALFA}`],
    ]) {
      const response = await api(sim, path, { method });
      expect(response.status).toBe(404);
      expect(response.body.id).toBe('not_found');
      expect(response.body.message).toMatch(/^The requested API endpoint was not found/);
    }
  });

  it('answers a malformed JSON body with 400 bad_request', async () => {
    const response = await fetch(`${sim.url}/apps/${ALFA}`, {
      method: 'PATCH',
      headers: { Accept: V3, Authorization: `Bearer ${sim.token}`, 'Content-Type': 'application/json' },
      body: '{"maintenance":',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ id: 'bad_request', message: 'Request body is not valid JSON.' });
  });
});

describe('Range on non-list endpoints', () => {
  it('is ignored', async () => {
    const response = await api(sim, `/apps/${ALFA}`, { headers: { Range: 'version ..; order=desc,max=1' } });
    expect(response.status).toBe(200);
    expect(response.body.name).toBe(ALFA);
    expect(response.headers.get('next-range')).toBeNull();
  });
});

describe('account', () => {
  it('describes the fixed account', async () => {
    const account = await herokuClient(sim).get('/account');
    expect(account).toMatchObject({ email: 'ops@csis-ilab.example', verified: true, suspended_at: null });
    expect(account.id).toMatch(UUID);
  });
});
