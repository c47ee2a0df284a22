import { connect } from 'node:net';
import { DEFAULT_SIMULATOR_TOKEN, startSimulator } from '../../simulator';
import { api } from './helpers';

it('closes promptly with idle keep-alive and half-sent requests open, and stops answering', async () => {
  const sim = await startSimulator();
  expect((await api(sim, '/account')).status).toBe(200); // leaves fetch's keep-alive socket idle
  // A client stuck mid-request keeps its connection active; server.close() alone would wait for it.
  const stuck = connect(sim.port, '127.0.0.1');
  stuck.on('error', () => undefined);
  await new Promise<void>((resolve) => stuck.once('connect', resolve));
  stuck.write('GET /account HTTP/1.1\r\nHost: 127.0.0.1\r\n');
  await new Promise((resolve) => setTimeout(resolve, 50));

  const started = Date.now();
  await sim.close();
  expect(Date.now() - started).toBeLessThan(1000);
  await expect(fetch(`${sim.url}/account`)).rejects.toThrow();
  stuck.destroy();
});

it('listens on the requested host and port', async () => {
  const probe = await startSimulator();
  const { port } = probe;
  await probe.close();

  const sim = await startSimulator({ host: '127.0.0.1', port });
  try {
    expect(sim.port).toBe(port);
    expect(sim.url).toBe(`http://127.0.0.1:${port}`);
  } finally {
    await sim.close();
  }
});

describe('token', () => {
  const saved = process.env.HEROKU_API_KEY;
  afterEach(() => {
    if (saved === undefined) delete process.env.HEROKU_API_KEY;
    else process.env.HEROKU_API_KEY = saved;
  });

  it('is the given token, else the default one, never HEROKU_API_KEY', async () => {
    process.env.HEROKU_API_KEY = 'HRKU-AAfromTheEnvironment0123456789abcdefgh';
    const fallback = await startSimulator();
    const explicit = await startSimulator({ token: 'explicit' });
    try {
      expect([fallback.token, explicit.token]).toEqual([DEFAULT_SIMULATOR_TOKEN, 'explicit']);
      expect((await api(fallback, '/account')).status).toBe(200);
      expect((await api(explicit, '/account')).status).toBe(200);
      const fromEnv = process.env.HEROKU_API_KEY;
      expect((await api({ ...fallback, token: fromEnv }, '/account')).status).toBe(401);
      expect((await api({ ...explicit, token: fromEnv }, '/account')).status).toBe(401);
    } finally {
      await Promise.all([fallback.close(), explicit.close()]);
    }
  });
});
