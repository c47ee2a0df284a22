import type { RunningSimulator } from '../../simulator';
import { ALFA, BRAVO, CHINAPOWER, api, control, herokuClient, herokuError, useSimulator } from './helpers';

let sim: RunningSimulator;
useSimulator((started) => (sim = started));

describe('GET /apps', () => {
  it('lists the three seeded apps of team csis-ilab', async () => {
    const apps = await herokuClient(sim).get('/apps');
    expect(apps.map((app: { name: string }) => app.name).sort()).toEqual([CHINAPOWER, ALFA, BRAVO]);
    for (const app of apps) {
      expect(app).toMatchObject({
        maintenance: false,
        generation: { name: 'cedar' },
        stack: { name: 'heroku-22' },
        build_stack: { name: 'heroku-22' },
        region: { name: 'us' },
        team: { id: expect.any(String), name: 'csis-ilab' },
        owner: { email: 'csis-ilab@herokumanager.com' },
        space: null,
        git_url: `https://git.heroku.com/${app.name}.git`,
        web_url: `https://${app.name}.herokuapp.com/`,
      });
    }
  });

  it('pages by name when asked to', async () => {
    const response = await api(sim, '/apps', { headers: { Range: 'name ..; max=1' } });
    expect(response.status).toBe(206);
    expect(response.body.map((app: { name: string }) => app.name)).toEqual([CHINAPOWER]);
    expect(response.headers.get('next-range')).toBe(`name ]${CHINAPOWER}..; max=1`);
    const next = await api(sim, '/apps', { headers: { Range: response.headers.get('next-range')! } });
    expect(next.body.map((app: { name: string }) => app.name)).toEqual([ALFA]);
  });
});

describe('GET /apps/{app}', () => {
  it('finds an app by name and by UUID', async () => {
    const client = herokuClient(sim);
    const byName = await client.get(`/apps/${BRAVO}`);
    const byId = await client.get(`/apps/${byName.id}`);
    expect(byId).toEqual(byName);
  });
});

describe('PATCH /apps/{app}', () => {
  it('turns platform maintenance on without creating a release, recording the effect', async () => {
    const client = herokuClient(sim);
    const releasesBefore = await client.get(`/apps/${ALFA}/releases`);

    const app = await client.patch(`/apps/${ALFA}`, { body: { maintenance: true } });

    expect(app.maintenance).toBe(true);
    expect((await client.get(`/apps/${ALFA}`)).maintenance).toBe(true);
    expect(await client.get(`/apps/${ALFA}/releases`)).toHaveLength(releasesBefore.length);
    const effects = await control(sim, 'GET', '/effects');
    expect(effects).toEqual([
      {
        seq: 1,
        time: expect.any(String),
        kind: 'maintenance',
        app: ALFA,
        actor: 'ops@csis-ilab.example',
        requestId: expect.any(String),
        from: false,
        to: true,
      },
    ]);
  });

  it('records no effect when maintenance already has the requested value', async () => {
    await herokuClient(sim).patch(`/apps/${ALFA}`, { body: { maintenance: false } });
    expect(await control(sim, 'GET', '/effects')).toEqual([]);
  });

  it.each([
    [{ maintenance: 'true' }, 'maintenance'],
    [{ name: 42 }, 'name'],
    [{ build_stack: false }, 'build_stack'],
  ])('rejects %j with 422 invalid_params naming the field', async (body, field) => {
    const error = await herokuError(herokuClient(sim).patch(`/apps/${ALFA}`, { body }));
    expect(error.statusCode).toBe(422);
    expect(error.body.id).toBe('invalid_params');
    expect(error.body.message).toContain(`${field}:`);
    expect((await control(sim, 'GET', '/state')).apps[0].maintenance).toBe(false);
  });

  it('renames an app', async () => {
    const client = herokuClient(sim);
    const app = await client.patch(`/apps/${BRAVO}`, { body: { name: 'csis-reconasia-charlie' } });
    expect(app).toMatchObject({
      name: 'csis-reconasia-charlie',
      web_url: 'https://csis-reconasia-charlie.herokuapp.com/',
    });
    expect((await herokuError(client.get(`/apps/${BRAVO}`))).statusCode).toBe(404);
    expect(await control(sim, 'GET', '/effects')).toMatchObject([
      { kind: 'rename', app: BRAVO, from: BRAVO, to: 'csis-reconasia-charlie' },
    ]);
  });

  it.each([
    [ALFA, 'Name is already taken'],
    ['Not_A_Valid_Name', 'Name must start with a letter'],
  ])('refuses to rename to %s', async (name, message) => {
    const error = await herokuError(herokuClient(sim).patch(`/apps/${BRAVO}`, { body: { name } }));
    expect(error.statusCode).toBe(422);
    expect(error.body.message).toContain(message);
  });

  it('changes the build stack, and 404s an unknown one', async () => {
    const client = herokuClient(sim);
    const app = await client.patch(`/apps/${ALFA}`, { body: { build_stack: 'heroku-24' } });
    expect(app.build_stack.name).toBe('heroku-24');
    expect(app.stack.name).toBe('heroku-22');

    const error = await herokuError(client.patch(`/apps/${ALFA}`, { body: { build_stack: 'cedar-14' } }));
    expect(error.statusCode).toBe(404);
    expect(error.body).toMatchObject({ id: 'not_found', resource: 'stack' });
  });

  it('404s an unknown app', async () => {
    const error = await herokuError(herokuClient(sim).patch('/apps/no-such-app', { body: { maintenance: true } }));
    expect(error.statusCode).toBe(404);
    expect(error.body.resource).toBe('app');
  });
});
