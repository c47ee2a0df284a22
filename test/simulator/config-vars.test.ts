import type { RunningSimulator } from '../../simulator';
import { ALFA, BRAVO, api, control, herokuClient, herokuError, useSimulator } from './helpers';

let sim: RunningSimulator;
useSimulator((started) => (sim = started));

/** What `heroku config:set` does right after its PATCH to print "done, vNN". */
async function newestRelease(app: string) {
  const response = await api(sim, `/apps/${app}/releases`, { headers: { Range: 'version ..; order=desc,max=1' } });
  expect(response.body).toHaveLength(1);
  return response.body[0];
}

const RUNBOOK_KEYS = [
  'SECRET_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_STORAGE_BUCKET_NAME',
  'BUILD_WITH_GEO_LIBRARIES',
  'MAPBOX_TOKEN',
  'MAPBOX_STYLE_URL',
  'GOOGLE_ANALYTICS_KEY',
];
const ADDON_KEYS = [
  'DATABASE_URL',
  'REDISTOGO_URL',
  'MEMCACHE_SERVERS',
  'MEMCACHE_USERNAME',
  'MEMCACHE_PASSWORD',
  'BONSAI_URL',
  'PAPERTRAIL_API_TOKEN',
];

describe('GET /apps/{app}/config-vars', () => {
  it.each([ALFA, BRAVO])('has every key the runbook lists on %s, but not MAINTENANCE_MODE', async (app) => {
    const vars = await herokuClient(sim).get(`/apps/${app}/config-vars`);
    for (const key of [...RUNBOOK_KEYS, ...ADDON_KEYS]) expect(typeof vars[key]).toBe('string');
    expect(vars).not.toHaveProperty('MAINTENANCE_MODE');
  });
});

describe('PATCH /apps/{app}/config-vars', () => {
  it('sets vars, returns the full set and creates a release', async () => {
    const client = herokuClient(sim);
    const before = await client.get(`/apps/${ALFA}/config-vars`);
    const previous = await newestRelease(ALFA);

    const result = await client.patch(`/apps/${ALFA}/config-vars`, {
      body: { MAINTENANCE_MODE: 'true', FOO: 'bar' },
    });

    expect(result).toEqual({ ...before, MAINTENANCE_MODE: 'true', FOO: 'bar' });
    const release = await newestRelease(ALFA);
    expect(release).toMatchObject({
      version: previous.version + 1,
      description: 'Set MAINTENANCE_MODE, FOO config vars',
      status: 'succeeded',
      current: true,
      user: { email: 'ops@csis-ilab.example' },
      slug: previous.slug,
      addon_plan_names: previous.addon_plan_names,
    });
    expect(await control(sim, 'GET', '/effects')).toEqual([
      expect.objectContaining({
        seq: 1,
        kind: 'config_vars',
        app: ALFA,
        set: { MAINTENANCE_MODE: 'true', FOO: 'bar' },
        removed: [],
      }),
      expect.objectContaining({
        seq: 2,
        kind: 'release',
        app: ALFA,
        version: release.version,
        id: release.id,
        description: release.description,
      }),
    ]);
  });

  it('deletes vars given null', async () => {
    const client = herokuClient(sim);
    const result = await client.patch(`/apps/${ALFA}/config-vars`, { body: { GOOGLE_ANALYTICS_KEY: null } });
    expect(result).not.toHaveProperty('GOOGLE_ANALYTICS_KEY');
    expect(await client.get(`/apps/${ALFA}/config-vars`)).toEqual(result);
    expect((await newestRelease(ALFA)).description).toBe('Remove GOOGLE_ANALYTICS_KEY config vars');
  });

  it('describes a combined set and delete', async () => {
    await herokuClient(sim).patch(`/apps/${BRAVO}/config-vars`, { body: { A: '1', MAPBOX_TOKEN: null, B: '2' } });
    expect((await newestRelease(BRAVO)).description).toBe('Set A, B and remove MAPBOX_TOKEN config vars');
  });

  it('leaves the other app alone', async () => {
    const client = herokuClient(sim);
    const bravoBefore = await client.get(`/apps/${BRAVO}/config-vars`);
    await client.patch(`/apps/${ALFA}/config-vars`, { body: { FOO: 'bar' } });
    expect(await client.get(`/apps/${BRAVO}/config-vars`)).toEqual(bravoBefore);
  });

  it.each([
    [{ 'BAD-KEY': 'x' }, 'BAD-KEY'],
    [{ FOO: 1 }, 'FOO'],
    [{ FOO: { nested: true } }, 'FOO'],
  ])('rejects %j with 422 and changes nothing', async (body, named) => {
    const previous = await newestRelease(ALFA);
    const error = await herokuError(herokuClient(sim).patch(`/apps/${ALFA}/config-vars`, { body }));
    expect(error.statusCode).toBe(422);
    expect(error.body.id).toBe('invalid_params');
    expect(error.body.message).toContain(named);
    expect((await newestRelease(ALFA)).version).toBe(previous.version);
    expect(await control(sim, 'GET', '/effects')).toEqual([]);
  });

  it('rejects a body that is not an object', async () => {
    const response = await api(sim, `/apps/${ALFA}/config-vars`, { method: 'PATCH', body: ['FOO'] });
    expect(response.status).toBe(422);
  });

  it('enforces the 32 kB limit', async () => {
    const error = await herokuError(
      herokuClient(sim).patch(`/apps/${ALFA}/config-vars`, { body: { BIG: 'x'.repeat(33 * 1024) } }),
    );
    expect(error.statusCode).toBe(422);
    expect(error.body.message).toContain('limit');
  });

  it('creates no release for an empty change', async () => {
    const previous = await newestRelease(ALFA);
    await herokuClient(sim).patch(`/apps/${ALFA}/config-vars`, { body: {} });
    expect((await newestRelease(ALFA)).version).toBe(previous.version);
  });

  it('404s an unknown app', async () => {
    const error = await herokuError(herokuClient(sim).patch('/apps/no-such-app/config-vars', { body: { A: 'b' } }));
    expect(error.body).toEqual({ id: 'not_found', message: "Couldn't find that app.", resource: 'app' });
  });
});
