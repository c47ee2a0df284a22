import { startSimulator, type RunningSimulator } from '../../simulator';
import { ALFA, api, control, herokuClient, herokuError, useSimulator } from './helpers';

let sim: RunningSimulator;
useSimulator((started) => (sim = started));

const remaining = (response: { headers: Headers }) => Number(response.headers.get('ratelimit-remaining'));

const RATE_LIMIT_BODY = {
  id: 'rate_limit',
  message: 'Your account reached the API rate limit\nPlease wait a few minutes before making new requests',
  url: 'https://devcenter.heroku.com/articles/platform-api-reference#rate-limits',
};

it('starts from 4500 tokens and charges one per request', async () => {
  const first = await api(sim, `/apps/${ALFA}`);
  const second = await api(sim, '/apps/no-such-app');
  expect(remaining(first)).toBe(4499);
  expect(remaining(second)).toBe(4498);
});

it('answers 429 rate_limit once the bucket is empty', async () => {
  await control(sim, 'PUT', '/rate-limit', { remaining: 2, refillPerMinute: 0 });
  const responses = [await api(sim, '/account'), await api(sim, '/account'), await api(sim, '/account')];
  expect(responses.map((r) => r.status)).toEqual([200, 200, 429]);
  expect(responses.map(remaining)).toEqual([1, 0, 0]);
  expect(responses[2].body).toEqual(RATE_LIMIT_BODY);

  const error = await herokuError(herokuClient(sim).get(`/apps/${ALFA}`));
  expect(error.statusCode).toBe(429);
  expect(error.body).toEqual(RATE_LIMIT_BODY);
});

it('does not charge GET /account/rate-limits', async () => {
  await control(sim, 'PUT', '/rate-limit', { remaining: 10, refillPerMinute: 0 });
  const client = herokuClient(sim);
  expect(await client.get('/account/rate-limits')).toEqual({ remaining: 10 });
  expect(await client.get('/account/rate-limits')).toEqual({ remaining: 10 });
  await client.get('/account');
  expect(await client.get('/account/rate-limits')).toEqual({ remaining: 9 });
});

it('still answers GET /account/rate-limits when the bucket is empty', async () => {
  await control(sim, 'PUT', '/rate-limit', { remaining: 0, refillPerMinute: 0 });
  const response = await api(sim, '/account/rate-limits');
  expect(response.status).toBe(200);
  expect(response.body).toEqual({ remaining: 0 });
});

it('refills continuously', async () => {
  await control(sim, 'PUT', '/rate-limit', { remaining: 0, refillPerMinute: 600_000 });
  await new Promise((resolve) => setTimeout(resolve, 20));
  const response = await api(sim, '/account');
  expect(response.status).toBe(200);
  expect(remaining(response)).toBeGreaterThan(0);
});

it('keeps one bucket per token', async () => {
  await control(sim, 'PUT', '/rate-limit', { remaining: 0, refillPerMinute: 0, token: 'other-token' });
  expect((await api(sim, '/account')).status).toBe(200);
  const other = await api(sim, '/account', { headers: { Authorization: 'Bearer other-token' } });
  expect(other.status).toBe(429);
});

it('restores the configured limits on reset', async () => {
  await control(sim, 'PUT', '/rate-limit', { capacity: 5, remaining: 0 });
  await control(sim, 'POST', '/reset');
  expect(remaining(await api(sim, '/account'))).toBe(4499);
});

it('rejects invalid control input', async () => {
  const response = await fetch(`${sim.url}/__simulator/rate-limit`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ remaining: -1 }),
  });
  expect(response.status).toBe(400);
  expect(((await response.json()) as { message: string }).message).toContain('remaining');
});

it('takes capacity and refill from the start options', async () => {
  const small = await startSimulator({ rateLimit: { capacity: 2, refillPerMinute: 0 } });
  try {
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await api(small, '/account')).status);
    expect(statuses).toEqual([200, 200, 429]);
  } finally {
    await small.close();
  }
});
