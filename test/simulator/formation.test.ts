import type { RunningSimulator } from '../../simulator';
import { ALFA, BRAVO, api, control, herokuClient, herokuError, useSimulator } from './helpers';

let sim: RunningSimulator;
useSimulator((started) => (sim = started));

interface Formation {
  type: string;
  quantity: number;
  size: string;
  dyno_size: { id: string; name: string };
  command: string;
}

/** `web=1:Standard-1X …`, the way `heroku ps:scale` prints a formation. */
async function scale(app: string): Promise<string> {
  const formation: Formation[] = await herokuClient(sim).get(`/apps/${app}/formation`);
  return formation
    .map((f) => `${f.type}=${f.quantity}:${f.size}`)
    .sort()
    .join(' ');
}

describe('GET formation', () => {
  it.each([ALFA, BRAVO])('seeds %s with web, worker and scheduler at 1:Standard-1X', async (app) => {
    expect(await scale(app)).toBe('scheduler=1:Standard-1X web=1:Standard-1X worker=1:Standard-1X');
    const worker: Formation = await herokuClient(sim).get(`/apps/${app}/formation/worker`);
    expect(worker.command).toBe('python manage.py rqworker');
    expect(worker.dyno_size.name).toBe('Standard-1X');
  });

  it('finds a process type by id', async () => {
    const web = await herokuClient(sim).get(`/apps/${ALFA}/formation/web`);
    expect(await herokuClient(sim).get(`/apps/${ALFA}/formation/${web.id}`)).toEqual(web);
  });

  it('404s an unknown process type, naming it', async () => {
    const error = await herokuError(herokuClient(sim).get(`/apps/${ALFA}/formation/clock`));
    expect(error.statusCode).toBe(404);
    expect(error.body).toEqual({
      id: 'not_found',
      message: "Couldn't find that process type (clock).",
      resource: 'formation',
    });
  });
});

describe('PATCH /apps/{app}/formation (batch)', () => {
  it("applies the CLI's string, relative and size updates and returns every process type", async () => {
    const result: Formation[] = await herokuClient(sim).patch(`/apps/${ALFA}/formation`, {
      body: {
        updates: [
          { quantity: '2', type: 'web' },
          { quantity: '+1', size: 'Standard-2X', type: 'worker' },
        ],
      },
    });
    expect(result.map((f) => f.type).sort()).toEqual(['scheduler', 'web', 'worker']);
    expect(await scale(ALFA)).toBe('scheduler=1:Standard-1X web=2:Standard-1X worker=2:Standard-2X');
    expect(await control(sim, 'GET', '/effects')).toEqual([
      expect.objectContaining({
        kind: 'formation',
        app: ALFA,
        type: 'web',
        before: { quantity: 1, size: 'Standard-1X' },
        after: { quantity: 2, size: 'Standard-1X' },
      }),
      expect.objectContaining({
        kind: 'formation',
        app: ALFA,
        type: 'worker',
        before: { quantity: 1, size: 'Standard-1X' },
        after: { quantity: 2, size: 'Standard-2X' },
      }),
    ]);
  });

  it('accepts numeric quantities and dyno_size by name, case-insensitively', async () => {
    await herokuClient(sim).patch(`/apps/${ALFA}/formation`, {
      body: {
        updates: [
          { type: 'worker', quantity: 0 },
          { type: 'web', dyno_size: { name: 'performance-m' } },
        ],
      },
    });
    expect(await scale(ALFA)).toBe('scheduler=1:Standard-1X web=1:Performance-M worker=0:Standard-1X');
  });

  it('creates no release', async () => {
    const before = (await api(sim, `/apps/${ALFA}/releases`)).body.length;
    await herokuClient(sim).patch(`/apps/${ALFA}/formation`, { body: { updates: [{ type: 'worker', quantity: 0 }] } });
    expect((await api(sim, `/apps/${ALFA}/releases`)).body).toHaveLength(before);
    expect((await control(sim, 'GET', '/effects')).map((e: { kind: string }) => e.kind)).toEqual(['formation']);
  });

  it('records no effect when nothing changes', async () => {
    await herokuClient(sim).patch(`/apps/${ALFA}/formation`, { body: { updates: [{ type: 'web', quantity: 1 }] } });
    expect(await control(sim, 'GET', '/effects')).toEqual([]);
  });

  it('is all-or-nothing: one bad update rejects the whole batch', async () => {
    const error = await herokuError(
      herokuClient(sim).patch(`/apps/${ALFA}/formation`, {
        body: {
          updates: [
            { type: 'web', quantity: 3 },
            { type: 'clock', quantity: 1 },
          ],
        },
      }),
    );
    expect(error.statusCode).toBe(404);
    expect(error.body.message).toBe("Couldn't find that process type (clock).");
    expect(await scale(ALFA)).toBe('scheduler=1:Standard-1X web=1:Standard-1X worker=1:Standard-1X');
  });

  it.each([
    [[{ type: 'worker', quantity: '-2' }], 'Cannot scale worker to -1'],
    [[{ type: 'worker', quantity: -1 }], 'non-negative integer'],
    [[{ type: 'worker', quantity: 'lots' }], 'lots'],
    [[{ type: 'worker', quantity: 1.5 }], 'non-negative integer'],
    [[{ type: 'worker', size: 'Standard-3X' }], 'Invalid dyno size for worker: Standard-3X'],
    [[{ type: 'worker', dyno_size: { name: 'Private-M' } }], 'Private Space'],
    [[{ type: 'web', quantity: 101 }], 'more than 100'],
    [[{ type: 'web', size: 'Eco' }], 'Cannot mix'],
    [
      [
        { type: 'web', quantity: '+1' },
        { type: 'web', quantity: 'x' },
      ],
      'x',
    ],
  ])('rejects %j with 422 invalid_params', async (updates, message) => {
    const error = await herokuError(herokuClient(sim).patch(`/apps/${ALFA}/formation`, { body: { updates } }));
    expect(error.statusCode).toBe(422);
    expect(error.body.id).toBe('invalid_params');
    expect(error.body.message).toContain(message);
    expect(await control(sim, 'GET', '/effects')).toEqual([]);
  });

  it('allows Eco when every process type moves to it, but at most one dyno each', async () => {
    const everyType = (quantity: number) =>
      ['web', 'worker', 'scheduler'].map((type) => ({ type, quantity, size: 'Eco' }));
    await herokuClient(sim).patch(`/apps/${BRAVO}/formation`, { body: { updates: everyType(1) } });
    expect(await scale(BRAVO)).toBe('scheduler=1:Eco web=1:Eco worker=1:Eco');
    const error = await herokuError(
      herokuClient(sim).patch(`/apps/${BRAVO}/formation`, { body: { updates: everyType(2) } }),
    );
    expect(error.body.message).toContain('more than 1 Eco');
  });

  it('rejects a body without updates', async () => {
    const error = await herokuError(herokuClient(sim).patch(`/apps/${ALFA}/formation`, { body: { type: 'web' } }));
    expect(error.statusCode).toBe(422);
    expect(error.body.message).toContain('updates');
  });
});

describe('PATCH /apps/{app}/formation/{type}', () => {
  it('scales one process type relatively and returns it', async () => {
    const worker: Formation = await herokuClient(sim).patch(`/apps/${BRAVO}/formation/worker`, {
      body: { quantity: '-1' },
    });
    expect(worker).toMatchObject({ type: 'worker', quantity: 0, size: 'Standard-1X' });
    expect(await scale(BRAVO)).toBe('scheduler=1:Standard-1X web=1:Standard-1X worker=0:Standard-1X');
  });

  it('resizes via dyno_size and leaves the quantity alone', async () => {
    const web: Formation = await herokuClient(sim).patch(`/apps/${BRAVO}/formation/web`, {
      body: { dyno_size: { name: 'Standard-2X' } },
    });
    expect(web).toMatchObject({ quantity: 1, size: 'Standard-2X', dyno_size: { name: 'Standard-2X' } });
  });

  it('404s an unknown process type', async () => {
    const error = await herokuError(
      herokuClient(sim).patch(`/apps/${BRAVO}/formation/release`, { body: { quantity: 1 } }),
    );
    expect(error.statusCode).toBe(404);
    expect(error.body.message).toContain('(release)');
  });
});
