import { startSimulator, type RunningSimulator } from '../../simulator';
import { ALFA_DB, ManualClock, databaseId, databaseState, effectsOf, transfer } from './data-api-helpers';
import { ALFA, BRAVO, api, control } from './helpers';

const clock = new ManualClock();
let sim: RunningSimulator;
let db: string;

beforeAll(async () => {
  sim = await startSimulator({ clock });
  db = await databaseId(sim);
});
afterAll(async () => {
  await sim.close();
});
beforeEach(async () => {
  await control(sim, 'POST', '/reset');
});

const schedulesPath = () => `/client/v11/databases/${db}/transfer-schedules`;
const schedules = async () => (await api(sim, schedulesPath())).body;
const schedule = (body: unknown) => api(sim, schedulesPath(), { method: 'POST', body });
const atTwoInNewYork = { hour: '02', timezone: 'America/New_York', schedule_name: 'DATABASE_URL' };

/** Restores b016 into production and lets it finish. */
async function restoreB016(): Promise<string> {
  const b016 = await transfer(sim, 16);
  const restore = await api(sim, `/client/v11/databases/${db}/restores`, {
    method: 'POST',
    body: { backup_url: b016.to_url },
  });
  clock.advance(60_000);
  return restore.body.uuid;
}

describe('transfer schedules', () => {
  it('start as the seed has them: none on production, 02:00 New York on staging', async () => {
    expect(await schedules()).toEqual([]);
    const staging = (await api(sim, `/client/v11/databases/${await databaseId(sim, BRAVO)}/transfer-schedules`)).body;
    expect(staging).toEqual([
      expect.objectContaining({
        name: 'DATABASE_URL',
        hour: 2,
        timezone: 'America/New_York',
        uuid: expect.any(String),
      }),
    ]);
  });

  it("take the hour as the CLI's string and give it back as a number", async () => {
    const response = await schedule(atTwoInNewYork);
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ name: 'DATABASE_URL', hour: 2, timezone: 'America/New_York' });
    expect(await schedules()).toEqual([response.body]);
    expect(await effectsOf(sim, 'schedule-set')).toEqual([
      expect.objectContaining({
        app: ALFA,
        database: ALFA_DB,
        uuid: response.body.uuid,
        hour: 2,
        timezone: 'America/New_York',
        replaced: null,
      }),
    ]);
  });

  it('keep one schedule per database: a second POST replaces the first', async () => {
    const first = (await schedule(atTwoInNewYork)).body;
    const second = (await schedule({ hour: 5, timezone: 'utc', schedule_name: 'DATABASE_URL' })).body;
    expect(second).toMatchObject({ hour: 5, timezone: 'UTC' });
    expect(await schedules()).toEqual([second]);
    expect((await effectsOf(sim, 'schedule-set')).map((effect) => effect.replaced)).toEqual([null, first.uuid]);
  });

  it.each([
    [{ ...atTwoInNewYork, timezone: 'Mars/Olympus_Mons' }, 'timezone'],
    [{ ...atTwoInNewYork, hour: '24' }, 'hour'],
    [{ ...atTwoInNewYork, hour: 'two' }, 'hour'],
    [{ hour: 2, timezone: 'UTC' }, 'schedule_name'],
  ])('refuse %j with 422 invalid_params naming %s', async (body, field) => {
    const response = await schedule(body);
    expect(response.status).toBe(422);
    expect(response.body).toEqual({ id: 'invalid_params', message: expect.stringContaining(field) });
    expect(await schedules()).toEqual([]);
  });

  it('are deleted by uuid; another uuid is 404', async () => {
    const { uuid } = (await schedule(atTwoInNewYork)).body;
    const wrong = await api(sim, `${schedulesPath()}/00000000-0000-4000-8000-000000000000`, { method: 'DELETE' });
    expect(wrong.status).toBe(404);
    expect(wrong.body.id).toBe('not_found');
    expect((await api(sim, `${schedulesPath()}/${uuid}`, { method: 'DELETE' })).status).toBe(200);
    expect(await schedules()).toEqual([]);
    expect(await effectsOf(sim, 'schedule-delete')).toEqual([
      expect.objectContaining({ app: ALFA, uuid, name: 'DATABASE_URL' }),
    ]);
  });
});

describe('a restore and the backup schedule (runbook: "it will be dropped")', () => {
  it('drops the schedule when the restore finishes, by default', async () => {
    const { uuid } = (await schedule(atTwoInNewYork)).body;
    const b016 = await transfer(sim, 16);
    const restore = await api(sim, `/client/v11/databases/${db}/restores`, {
      method: 'POST',
      body: { backup_url: b016.to_url },
    });
    // Still there while the restore runs.
    expect(await schedules()).toHaveLength(1);
    clock.advance(60_000);

    expect(await schedules()).toEqual([]);
    const finished = await transfer(sim, restore.body.uuid);
    expect(await effectsOf(sim, 'schedule-dropped')).toEqual([
      expect.objectContaining({
        app: ALFA,
        database: ALFA_DB,
        uuid,
        name: 'DATABASE_URL',
        restore: 'r017',
        at: expect.any(String),
      }),
    ]);
    expect((await effectsOf(sim, 'schedule-dropped'))[0].at.replace('T', ' ').replace('Z', ' +0000')).toBe(
      finished.finished_at,
    );
  });

  it('keeps the schedule when restoreDropsSchedule is off, until a reset turns it back on', async () => {
    expect(await control(sim, 'PUT', '/data-api', { restoreDropsSchedule: false })).toMatchObject({
      restoreDropsSchedule: false,
    });
    await schedule(atTwoInNewYork);
    await restoreB016();
    expect(await schedules()).toHaveLength(1);
    expect((await databaseState(sim)).live_backup).toBe('b016');

    await control(sim, 'POST', '/reset');
    expect((await control(sim, 'GET', '/data-api')).restoreDropsSchedule).toBe(true);
    await schedule(atTwoInNewYork);
    await restoreB016();
    expect(await schedules()).toEqual([]);
  });

  it('keeps the schedule when the restore fails', async () => {
    await control(sim, 'PUT', '/data-api', { failNextRestores: 1 });
    await schedule(atTwoInNewYork);
    const uuid = await restoreB016();
    expect((await transfer(sim, uuid)).succeeded).toBe(false);
    expect(await schedules()).toHaveLength(1);
    expect(await effectsOf(sim, 'schedule-dropped')).toEqual([]);
  });
});

describe('GET /client/v11/databases/{id}', () => {
  it('describes the database with the info list the CLI reads', async () => {
    const response = await api(sim, `/client/v11/databases/${db}`);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ addon_id: db, name: ALFA_DB, plan: 'standard-0' });
    expect(response.body.info).toContainEqual({ name: 'Continuous Protection', values: ['On'] });
    expect(response.body.info).toContainEqual({ name: 'Plan', values: ['Standard-0'] });
  });

  it('is 404 for add-ons that are not Postgres, and for a database still provisioning', async () => {
    const redis = (await api(sim, `/apps/${ALFA}/addons/REDISTOGO`)).body.id;
    expect((await api(sim, `/client/v11/databases/${redis}`)).status).toBe(404);

    const created = await api(sim, `/apps/${ALFA}/addons`, {
      method: 'POST',
      body: { plan: 'heroku-postgresql:essential-0' },
    });
    expect(created.body.state).toBe('provisioning');
    expect((await api(sim, `/client/v11/databases/${created.body.id}`)).status).toBe(404);
    expect((await api(sim, `/client/v11/databases/${created.body.id}/backups`, { method: 'POST' })).status).toBe(404);
    clock.advance(180_000);
    const info = await api(sim, `/client/v11/databases/${created.body.id}`);
    expect(info.status).toBe(200);
    expect(info.body.info).toContainEqual({ name: 'Continuous Protection', values: ['Off'] });
  });
});
