import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type RunningSimulator } from '../../simulator';
import {
  ALFA_DB,
  BRAVO_DB,
  ManualClock,
  databaseId,
  databaseState,
  nameOf,
  transfer,
  transfers,
} from './data-api-helpers';
import { ALFA, type Json, api, control } from './helpers';

const clock = new ManualClock();

async function rawControl(
  sim: RunningSimulator,
  method: string,
  path: string,
  body: unknown,
): Promise<{ status: number; body: Json }> {
  const response = await fetch(`${sim.url}/__simulator${path}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

describe('with one simulator', () => {
  let sim: RunningSimulator;

  beforeAll(async () => {
    sim = await startSimulator({ clock, dataApi: { transferPendingMs: 5 } });
  });
  afterAll(async () => {
    await sim.close();
  });
  beforeEach(async () => {
    await control(sim, 'POST', '/reset');
  });

  describe('/__simulator/data-api', () => {
    it('reads the settings, merges changes, and resets to the start-up values', async () => {
      expect(await control(sim, 'GET', '/data-api')).toEqual({
        transferPendingMs: 5,
        transferBytesPerSecond: 1_600_000,
        restoreDropsSchedule: true,
        failNextCaptures: 0,
        failNextRestores: 0,
        failTransfers: [],
        postgresProvisionMs: 180_000,
      });
      const changed = await control(sim, 'PUT', '/data-api', { transferBytesPerSecond: 10, failTransfers: ['b016'] });
      expect(changed).toMatchObject({ transferPendingMs: 5, transferBytesPerSecond: 10, failTransfers: ['b016'] });
      await control(sim, 'POST', '/reset');
      expect(await control(sim, 'GET', '/data-api')).toMatchObject({
        transferBytesPerSecond: 1_600_000,
        failTransfers: [],
      });
    });

    it('refuses unknown fields and bad values with 400 naming them', async () => {
      const response = await rawControl(sim, 'PUT', '/data-api', {
        transferBytesPerSecond: 0,
        speed: 2,
        failTransfers: ['latest'],
      });
      expect(response.status).toBe(400);
      expect(response.body.id).toBe('bad_request');
      for (const field of ['transferBytesPerSecond', 'speed', 'failTransfers[0]'])
        expect(response.body.message).toContain(field);
      expect((await control(sim, 'GET', '/data-api')).transferBytesPerSecond).toBe(1_600_000);
    });
  });

  describe('/__simulator/databases', () => {
    it('lists every database with its content, the backup it came from and its schedule', async () => {
      const list = await control(sim, 'GET', '/databases');
      expect(
        list.map((db: Json) => [db.app, db.addon, db.attachments, db.live_backup, db.schedule?.hour ?? null]),
      ).toEqual([
        [ALFA, ALFA_DB, ['DATABASE'], null, null],
        ['csis-reconasia-bravo', BRAVO_DB, ['DATABASE'], 'a011', 2],
      ]);
      expect((await control(sim, 'GET', '/state')).apps[0].addons[0].database.content).toEqual(list[0].content);
    });

    it('simulates the app writing to its database, so that its content matches no backup any more', async () => {
      const b013 = await transfer(sim, 13);
      await api(sim, `/client/v11/databases/${await databaseId(sim)}/restores`, {
        method: 'POST',
        body: { backup_url: b013.to_url },
      });
      clock.advance(60_000);
      expect((await databaseState(sim)).live_backup).toBe('b013');

      const written = await control(sim, 'POST', `/databases/${ALFA_DB}/writes`, { content_id: 'after-migration-42' });
      expect(written).toMatchObject({ live_backup: null, content: { id: 'after-migration-42' } });
      const missing = await rawControl(sim, 'POST', '/databases/redistogo-curved-71902/writes', {});
      expect(missing.status).toBe(404);
    });
  });

  describe('PUT /__simulator/transfers/{uuid}/pace', () => {
    it('keeps what a running transfer processed and moves its end to the new pace; a pending one starts as planned', async () => {
      // A database that dumps to 10 000 000 bytes: 10 s at 1 000 000 bytes/s, after a 5 ms wait.
      await control(sim, 'POST', `/databases/${ALFA_DB}/writes`, { bytes: 37_735_849 });
      await control(sim, 'PUT', '/data-api', { transferBytesPerSecond: 1_000_000 });
      const started = (await api(sim, `/client/v11/databases/${await databaseId(sim)}/backups`, { method: 'POST' }))
        .body;
      clock.advance(4_005);
      expect((await transfer(sim, started.uuid)).processed_bytes).toBe(4_000_000);

      const faster = await control(sim, 'PUT', `/transfers/${started.uuid}/pace`, { bytesPerSecond: 2_000_000 });
      expect(faster).toMatchObject({ uuid: started.uuid, processed_bytes: 4_000_000, finished_at: null });
      clock.advance(1_000);
      expect((await transfer(sim, started.uuid)).processed_bytes).toBe(6_000_000);
      // 6 000 000 bytes left at 2 MB/s: done 3 s after the change, not 6 s.
      clock.advance(1_999);
      expect((await transfer(sim, started.uuid)).finished_at).toBeNull();
      clock.advance(1);
      expect(await transfer(sim, started.uuid)).toMatchObject({ succeeded: true, processed_bytes: 10_000_000 });

      const pending = (await api(sim, `/client/v11/databases/${await databaseId(sim)}/backups`, { method: 'POST' }))
        .body;
      const slower = await control(sim, 'PUT', `/transfers/${pending.uuid}/pace`, { bytesPerSecond: 500_000 });
      expect(slower.simulation).toMatchObject({
        starts_at: new Date(clock.now().getTime() + 5).toISOString(),
        completes_at: new Date(clock.now().getTime() + 5 + 20_000).toISOString(),
      });

      const finished = await rawControl(sim, 'PUT', `/transfers/${started.uuid}/pace`, { bytesPerSecond: 1 });
      expect(finished).toMatchObject({ status: 409, body: { id: 'conflict' } });
      const unknown = await rawControl(sim, 'PUT', '/transfers/00000000-0000-4000-8000-000000000000/pace', {
        bytesPerSecond: 1,
      });
      expect(unknown.status).toBe(404);
      const bad = await rawControl(sim, 'PUT', `/transfers/${pending.uuid}/pace`, { bytesPerSecond: 0 });
      expect(bad.status).toBe(400);
    });
  });

  describe('POST /__simulator/seed', () => {
    it('replaces the world with a state document', async () => {
      const state = await control(sim, 'GET', '/state');
      const production = state.apps[0];
      production.transfers = production.transfers.filter((t: { num: number }) => t.num >= 15);
      production.addons[0].database.schedule = {
        uuid: '11111111-2222-4333-8444-555555555555',
        name: 'DATABASE_URL',
        hour: 4,
        timezone: 'Europe/Paris',
        created_at: '2016-10-01T00:00:00Z',
        updated_at: '2016-10-01T00:00:00Z',
      };
      state.apps = [production];

      expect(await control(sim, 'POST', '/seed', state)).toEqual({ seeded: true, apps: [ALFA] });
      expect((await transfers(sim)).map(nameOf)).toEqual(['b015', 'b016']);
      expect((await api(sim, '/apps/csis-reconasia-bravo')).status).toBe(404);
      const schedules = await api(sim, `/client/v11/databases/${await databaseId(sim)}/transfer-schedules`);
      expect(schedules.body).toEqual([expect.objectContaining({ hour: 4, timezone: 'Europe/Paris' })]);
      // A reset goes back to the built-in seed, not to the uploaded one.
      await control(sim, 'POST', '/reset');
      expect((await transfers(sim)).map(nameOf)).toHaveLength(5);
    });

    it('refuses an invalid document with 400 naming each bad field, and keeps the world as it was', async () => {
      const before = await control(sim, 'GET', '/state');
      const state = structuredClone(before);
      state.apps[0].transfers[1].num = state.apps[0].transfers[0].num;
      state.apps[0].addons[1].plan = 'redistogo:galactic';
      state.apps[1].addons[0].attachments[0].app_id = '00000000-0000-4000-8000-000000000000';
      const response = await rawControl(sim, 'POST', '/seed', state);
      expect(response.status).toBe(400);
      expect(response.body.id).toBe('bad_request');
      expect(response.body.message).toContain('apps[0].addons[1].plan: unknown add-on plan');

      // Cross-references are checked once every field is valid.
      state.apps[0].addons[1].plan = before.apps[0].addons[1].plan;
      const references = await rawControl(sim, 'POST', '/seed', state);
      expect(references.status).toBe(400);
      expect(references.body.message).toContain('apps[0].transfers[1].num: duplicate transfer num on this app');
      expect(references.body.message).toContain('apps[1].addons[0].attachments[0].app_id: no app has this id');
      expect(await control(sim, 'GET', '/state')).toEqual(before);
    });
  });
});

describe('--state persistence of add-ons, transfers and schedules', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'heroku-sim-data-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps finished and running transfers, content and schedules across a restart', async () => {
    const statePath = join(dir, 'state.json');
    const first = await startSimulator({ statePath, clock });
    let running: string;
    try {
      const db = await databaseId(first);
      await api(first, `/client/v11/databases/${db}/transfer-schedules`, {
        method: 'POST',
        body: { hour: '02', timezone: 'America/New_York', schedule_name: 'DATABASE_URL' },
      });
      await api(first, `/client/v11/databases/${db}/backups`, { method: 'POST' });
      clock.advance(60_000);
      running = (await api(first, `/client/v11/databases/${db}/backups`, { method: 'POST' })).body.uuid;
    } finally {
      await first.close();
    }

    const second = await startSimulator({ statePath, clock });
    try {
      const db = await databaseId(second);
      expect((await api(second, `/client/v11/databases/${db}/transfer-schedules`)).body).toEqual([
        expect.objectContaining({ hour: 2 }),
      ]);
      expect(await transfer(second, 17)).toMatchObject({ succeeded: true });
      expect((await transfer(second, running)).finished_at).toBeNull();
      clock.advance(60_000);
      expect((await transfer(second, running)).succeeded).toBe(true);
      expect(JSON.parse(readFileSync(statePath, 'utf8')).apps[0].transfers.map((t: { num: number }) => t.num)).toEqual([
        12, 13, 14, 15, 16, 17, 18,
      ]);
    } finally {
      await second.close();
    }
  });

  it('refuses a state file with a bad transfer or add-on, naming the field', async () => {
    const statePath = join(dir, 'state.json');
    await (await startSimulator({ statePath })).close();
    const state = JSON.parse(readFileSync(statePath, 'utf8'));
    state.apps[0].transfers[0].from_type = 'ftp';
    state.apps[1].addons[0].database.schedule = {
      ...state.apps[1].addons[0].database.schedule,
      timezone: 'Nowhere/Special',
    };
    writeFileSync(statePath, JSON.stringify(state));

    const failure = startSimulator({ statePath });
    await expect(failure).rejects.toThrow('apps[0].transfers[0].from_type');
    await expect(failure).rejects.toThrow('apps[1].addons[0].database.schedule.timezone: unknown IANA time zone');
  });
});
