import type { RunningSimulator } from '../../simulator';
import { ALFA_DB, ManualClock, effectsOf } from './data-api-helpers';
import { ALFA, BRAVO, type Json, api, control, herokuClient, useSimulator } from './helpers';

const clock = new ManualClock();
let sim: RunningSimulator;
useSimulator((started) => (sim = started), { clock });

const SDK = 'application/vnd.heroku+json; version=3.sdk';
const EXPANDED = { Accept: SDK, 'Accept-Expansion': 'addon_service,plan' };
const INCLUDED = { Accept: SDK, 'Accept-Inclusion': 'addon:plan,config_vars' };

const plans = (addons: Json[]) => addons.map((addon) => addon.plan.name).sort();
const newestRelease = async (app: string) =>
  (await api(sim, `/apps/${app}/releases`, { headers: { Range: 'version ..; order=desc,max=1' } })).body[0];

describe('seeded add-ons', () => {
  it.each([
    [
      ALFA,
      [
        'bonsai:staging',
        'deployhooks:email',
        'heroku-postgresql:standard-0',
        'memcachier:100',
        'newrelic:wayne',
        'papertrail:choklad',
        'redistogo:micro',
      ],
    ],
    [
      BRAVO,
      [
        'bonsai:sandbox-10',
        'deployhooks:email',
        'heroku-postgresql:standard-0',
        'memcachier:dev',
        'papertrail:choklad',
        'redistogo:nano',
      ],
    ],
  ])('are the runbook plans on %s', async (app, expected) => {
    const response = await api(sim, `/apps/${app}/addons`);
    expect(response.status).toBe(200);
    expect(plans(response.body)).toEqual(expected);
    for (const addon of response.body)
      expect(addon).toMatchObject({
        app: { name: app },
        state: 'provisioned',
        billing_entity: { name: app, type: 'app' },
      });
  });

  it.each([ALFA, BRAVO])(
    'own config vars that %s has, and every add-on var the app has belongs to one',
    async (app) => {
      const addons = (await api(sim, `/apps/${app}/addons`)).body;
      const vars = Object.keys((await api(sim, `/apps/${app}/config-vars`)).body);
      const owned = addons.flatMap((addon: Json) => addon.config_vars);
      expect(vars).toEqual(expect.arrayContaining(owned));
      const addonLike = /^(DATABASE|REDISTOGO|MEMCACHE|BONSAI|PAPERTRAIL|NEW_RELIC_(LICENSE_KEY|LOG))_?/;
      expect(vars.filter((key) => addonLike.test(key)).sort()).toEqual([...owned].sort());
      expect(addons.find((addon: Json) => addon.name.startsWith('postgresql-')).config_vars).toEqual(['DATABASE_URL']);
    },
  );

  it('show up in the state under their billing app', async () => {
    const state = await control(sim, 'GET', '/state');
    expect(state.apps[0].addons.map((addon: Json) => addon.name)).toContain(ALFA_DB);
    expect(state.apps[0].addons.find((addon: Json) => addon.name === ALFA_DB).attachments).toEqual([
      expect.objectContaining({ name: 'DATABASE', app_id: state.apps[0].id }),
    ]);
  });
});

describe('GET add-ons', () => {
  it('expand addon_service and plan on request (Accept-Expansion), else give references', async () => {
    const plain = (await api(sim, `/apps/${ALFA}/addons/DATABASE`)).body;
    expect(plain.plan).toEqual({ id: expect.any(String), name: 'heroku-postgresql:standard-0' });
    expect(plain.addon_service).toEqual({ id: expect.any(String), name: 'heroku-postgresql' });

    const expanded = (await api(sim, `/apps/${ALFA}/addons/DATABASE`, { headers: EXPANDED })).body;
    expect(expanded.plan).toMatchObject({
      name: 'heroku-postgresql:standard-0',
      price: { cents: 5000, unit: 'month' },
    });
    expect(expanded.addon_service).toMatchObject({ name: 'heroku-postgresql', human_name: 'Heroku Postgres' });
  });

  it('find an add-on by name, UUID or attachment name, and answer 404 not_found otherwise', async () => {
    const byAttachment = (await api(sim, `/apps/${ALFA}/addons/DATABASE`)).body;
    expect((await api(sim, `/apps/${ALFA}/addons/${ALFA_DB}`)).body).toEqual(byAttachment);
    expect((await api(sim, `/apps/${ALFA}/addons/${byAttachment.id}`)).body).toEqual(byAttachment);
    expect((await api(sim, `/addons/${ALFA_DB}`)).body).toEqual(byAttachment);

    for (const path of [`/apps/${BRAVO}/addons/${ALFA_DB}`, `/apps/${ALFA}/addons/nope`, '/addons/nope']) {
      const response = await api(sim, path);
      expect(response.status).toBe(404);
      expect(response.body).toEqual({ id: 'not_found', message: "Couldn't find that add on.", resource: 'add_on' });
    }
  });

  it('list every add-on of every app at /addons, with Range pagination', async () => {
    expect((await api(sim, '/addons')).body).toHaveLength(13);
    const page = await api(sim, '/addons', { headers: { Range: 'name ..; max=5' } });
    expect(page.status).toBe(206);
    expect(page.body).toHaveLength(5);
    expect(page.headers.get('next-range')).toBeTruthy();
  });
});

describe('GET attachments', () => {
  it('include addon.plan and config_vars on request (Accept-Inclusion), else leave them out', async () => {
    const plain = (await api(sim, `/apps/${ALFA}/addon-attachments/DATABASE`)).body;
    expect(plain).toMatchObject({
      name: 'DATABASE',
      app: { name: ALFA },
      addon: { name: ALFA_DB, app: { name: ALFA } },
      namespace: null,
    });
    expect(plain).not.toHaveProperty('config_vars');
    expect(plain.addon).not.toHaveProperty('plan');

    const included = (await api(sim, `/apps/${ALFA}/addon-attachments`, { headers: INCLUDED })).body;
    expect(included).toHaveLength(7);
    expect(included.find((a: Json) => a.name === 'DATABASE')).toMatchObject({
      config_vars: ['DATABASE_URL'],
      addon: { plan: { name: 'heroku-postgresql:standard-0' } },
    });
    expect(included.find((a: Json) => a.name === 'MEMCACHE').config_vars).toEqual([
      'MEMCACHE_SERVERS',
      'MEMCACHE_USERNAME',
      'MEMCACHE_PASSWORD',
    ]);
  });

  it("list all attachments, or one add-on's; an unknown attachment is 404", async () => {
    expect((await api(sim, '/addon-attachments')).body).toHaveLength(13);
    expect((await api(sim, `/addons/${ALFA_DB}/addon-attachments`)).body.map((a: Json) => a.name)).toEqual([
      'DATABASE',
    ]);
    const missing = await api(sim, `/apps/${ALFA}/addon-attachments/NOPE`);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ id: 'not_found', resource: 'add_on attachment' });
  });
});

describe('POST /actions/addon-attachments/resolve', () => {
  const resolve = (body: unknown) =>
    api(sim, '/actions/addon-attachments/resolve', { method: 'POST', body, headers: INCLUDED });

  it('resolves what the CLI sends (DATABASE_URL on an app) to an array of one attachment', async () => {
    const response = await resolve({ addon_attachment: 'DATABASE_URL', app: ALFA });
    expect(response.status).toBe(200);
    expect(response.body).toHaveLength(1);
    expect(response.body[0]).toMatchObject({
      name: 'DATABASE',
      config_vars: ['DATABASE_URL'],
      addon: { id: expect.any(String), plan: { id: expect.any(String), name: 'heroku-postgresql:standard-0' } },
    });
    expect((await resolve({ addon_attachment: 'DATABASE', app: ALFA })).body).toEqual(response.body);
    expect((await resolve({ addon_attachment: ALFA_DB, app: null })).body).toEqual(response.body);
    expect((await resolve({ addon_attachment: `${BRAVO}::DATABASE`, app: ALFA })).body[0].app.name).toBe(BRAVO);
  });

  it('answers 404 not_found with resource "add_on attachment" when nothing matches, so the CLI falls back', async () => {
    for (const body of [
      { addon_attachment: 'MY_DB_URL', app: ALFA },
      { addon_attachment: 'DATABASE', app: null },
      { addon_attachment: 'DATABASE_URL', app: ALFA, addon_service: 'redistogo' },
    ]) {
      const response = await resolve(body);
      expect(response.status).toBe(404);
      expect(response.body).toEqual({
        id: 'not_found',
        message: "Couldn't find that add on attachment.",
        resource: 'add_on attachment',
      });
    }
  });
});

describe('POST /actions/addons/resolve', () => {
  const resolve = (body: unknown) => api(sim, '/actions/addons/resolve', { method: 'POST', body, headers: EXPANDED });

  it('resolves an add-on by name anywhere, or by attachment name on an app', async () => {
    const [byName] = (await resolve({ addon: ALFA_DB, app: null })).body;
    expect(byName).toMatchObject({ name: ALFA_DB, addon_service: { name: 'heroku-postgresql' } });
    expect((await resolve({ addon: 'DATABASE', app: ALFA })).body).toEqual([byName]);
    expect((await resolve({ addon: 'DATABASE', app: ALFA, addon_service: 'redistogo' })).status).toBe(404);
    const missing = await resolve({ addon: 'DATABASE', app: null });
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ id: 'not_found', message: "Couldn't find that add on.", resource: 'add_on' });
  });
});

describe('POST /apps/{app}/addons', () => {
  it('provisions most add-ons at once: config vars, a release and an addon-create effect', async () => {
    const previous = await newestRelease(BRAVO);
    const response = await api(sim, `/apps/${BRAVO}/addons`, { method: 'POST', body: { plan: 'newrelic:wayne' } });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      state: 'provisioned',
      plan: { name: 'newrelic:wayne' },
      config_vars: ['NEW_RELIC_LICENSE_KEY', 'NEW_RELIC_LOG'],
    });
    expect(response.body.name).toMatch(/^newrelic-[a-z]+-\d{5}$/);

    const vars = (await api(sim, `/apps/${BRAVO}/config-vars`)).body;
    expect(vars).toMatchObject({ NEW_RELIC_LICENSE_KEY: expect.stringContaining('fake'), NEW_RELIC_LOG: 'stdout' });
    const release = await newestRelease(BRAVO);
    expect(release).toMatchObject({
      version: previous.version + 1,
      description: `Attach NEW_RELIC (@ref:${response.body.name})`,
    });
    expect(release.addon_plan_names).toContain('newrelic:wayne');
    expect(await effectsOf(sim, 'addon-create')).toEqual([
      expect.objectContaining({
        app: BRAVO,
        addon: response.body.name,
        id: response.body.id,
        plan: 'newrelic:wayne',
        attachment: 'NEW_RELIC',
      }),
    ]);
  });

  it('provisions Heroku Postgres over simulated time, as HEROKU_POSTGRESQL_<COLOR> next to DATABASE', async () => {
    await control(sim, 'PUT', '/clock', { speed: 2 });
    const before = await newestRelease(ALFA);
    const client = herokuClient(sim);
    // The CLI's form: plan as an object, Accept-Expansion plan.
    const created = await client.post(`/apps/${ALFA}/addons`, {
      body: { plan: { name: 'heroku-postgresql:standard-0' } },
      headers: { 'Accept-Expansion': 'plan' },
    });
    expect(created).toMatchObject({
      state: 'provisioning',
      config_vars: ['HEROKU_POSTGRESQL_AMBER_URL'],
      plan: { price: { cents: 5000 } },
    });
    expect((await client.get(`/apps/${ALFA}/config-vars`)).HEROKU_POSTGRESQL_AMBER_URL).toBeUndefined();
    expect((await newestRelease(ALFA)).version).toBe(before.version);

    // 180 s simulated at speed 2.
    clock.advance(89_999);
    expect((await client.get(`/apps/${ALFA}/addons/${created.name}`)).state).toBe('provisioning');
    clock.advance(1);
    expect((await client.get(`/apps/${ALFA}/addons/${created.name}`)).state).toBe('provisioned');
    expect((await client.get(`/apps/${ALFA}/config-vars`)).HEROKU_POSTGRESQL_AMBER_URL).toMatch(/^postgres:\/\//);
    expect(await newestRelease(ALFA)).toMatchObject({
      version: before.version + 1,
      description: `Attach HEROKU_POSTGRESQL_AMBER (@ref:${created.name})`,
    });
    expect((await client.get(`/apps/${ALFA}/config-vars`)).DATABASE_URL).toBeDefined();
  });

  it('asks for confirmation (confirmation_required) before taking an attachment name in use, and replaces it once confirmed', async () => {
    const body = { plan: 'redistogo:nano', attachment: { name: 'REDISTOGO' } };
    const refused = await api(sim, `/apps/${ALFA}/addons`, { method: 'POST', body });
    expect(refused.status).toBe(422);
    expect(refused.body.id).toBe('confirmation_required');
    expect(await effectsOf(sim, 'addon-create')).toEqual([]);

    const confirmed = await api(sim, `/apps/${ALFA}/addons`, { method: 'POST', body: { ...body, confirm: ALFA } });
    expect(confirmed.status).toBe(201);
    const attachment = (await api(sim, `/apps/${ALFA}/addon-attachments/REDISTOGO`)).body;
    expect(attachment.addon.name).toBe(confirmed.body.name);
    expect((await api(sim, '/addons/redistogo-curved-71902')).body.config_vars).toEqual([]);
  });

  it('answers 404 for an unknown plan and 422 invalid_params naming a missing plan', async () => {
    const unknown = await api(sim, `/apps/${ALFA}/addons`, { method: 'POST', body: { plan: 'redistogo:galactic' } });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({
      id: 'not_found',
      message: expect.stringContaining('redistogo:galactic'),
      resource: 'plan',
    });
    const missing = await api(sim, `/apps/${ALFA}/addons`, { method: 'POST', body: {} });
    expect(missing.status).toBe(422);
    expect(missing.body).toEqual({ id: 'invalid_params', message: expect.stringContaining('plan') });
  });
});

describe('DELETE /apps/{app}/addons/{addon}', () => {
  it('removes the add-on and its config vars, with a release and an addon-delete effect', async () => {
    const response = await api(sim, `/apps/${ALFA}/addons/papertrail-fluffy-30985`, { method: 'DELETE' });
    expect(response.status).toBe(200);
    expect(response.body.state).toBe('deprovisioned');
    expect((await api(sim, `/apps/${ALFA}/config-vars`)).body).not.toHaveProperty('PAPERTRAIL_API_TOKEN');
    const release = await newestRelease(ALFA);
    expect(release.description).toBe('Detach PAPERTRAIL (@ref:papertrail-fluffy-30985)');
    expect(release.addon_plan_names).not.toContain('papertrail:choklad');
    expect(await effectsOf(sim, 'addon-delete')).toEqual([
      expect.objectContaining({ app: ALFA, addon: 'papertrail-fluffy-30985', plan: 'papertrail:choklad' }),
    ]);
    expect((await api(sim, '/addons/papertrail-fluffy-30985')).status).toBe(404);
    expect((await api(sim, `/apps/${ALFA}/addons/papertrail-fluffy-30985`, { method: 'DELETE' })).status).toBe(404);
  });

  it('leaves the backups of a destroyed database listed on the app', async () => {
    await api(sim, `/apps/${ALFA}/addons/DATABASE`, { method: 'DELETE' });
    expect((await api(sim, `/client/v11/apps/${ALFA}/transfers`)).body).toHaveLength(5);
    expect((await api(sim, `/apps/${ALFA}/config-vars`)).body).not.toHaveProperty('DATABASE_URL');
  });
});
