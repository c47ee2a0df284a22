import { startSimulator, type RunningSimulator } from '../../simulator';
import {
  ALFA_DB,
  ManualClock,
  contentOfBackup,
  databaseId,
  databaseState,
  effectsOf,
  nameOf,
  transfer,
  transfers,
} from './data-api-helpers';
import { ALFA, BRAVO, api, control } from './helpers';

const clock = new ManualClock();
let sim: RunningSimulator;
let db: string;

// Round numbers: a capture of the seeded production database (38,210,560 bytes, a 10,125,798-byte dump) is pending
// for 10 s, then runs for 10.125798 s.
const PENDING_MS = 10_000;
const RATE = 1_000_000;
const DB_BYTES = 38_210_560;
const DUMP_BYTES = 10_125_798;

beforeAll(async () => {
  sim = await startSimulator({ clock, dataApi: { transferPendingMs: PENDING_MS, transferBytesPerSecond: RATE } });
  db = await databaseId(sim);
});
afterAll(async () => {
  await sim.close();
});
beforeEach(async () => {
  await control(sim, 'POST', '/reset');
  await control(sim, 'PUT', '/clock', { speed: 1 });
});

const capture = (database = db) => api(sim, `/client/v11/databases/${database}/backups`, { method: 'POST' });
const restore = (backupUrl: string, database = db) =>
  api(sim, `/client/v11/databases/${database}/restores`, { method: 'POST', body: { backup_url: backupUrl } });

describe('seeded backups', () => {
  it("are production's b012–b016 exactly as the runbook's table, completed, manual and from DATABASE", async () => {
    const list = await transfers(sim);
    expect(list.map(nameOf)).toEqual(['b012', 'b013', 'b014', 'b015', 'b016']);
    const mb = (bytes: number) => (bytes / 1_048_576).toFixed(2);
    expect(list.map((t) => [t.created_at, t.finished_at, mb(t.processed_bytes)])).toEqual([
      ['2016-08-22 21:12:30 +0000', '2016-08-22 21:12:36 +0000', '9.08'],
      ['2016-08-26 21:51:46 +0000', '2016-08-26 21:51:53 +0000', '9.20'],
      ['2016-08-30 21:39:15 +0000', '2016-08-30 21:39:23 +0000', '9.27'],
      ['2016-09-19 14:10:03 +0000', '2016-09-19 14:10:17 +0000', '9.38'],
      ['2016-10-13 15:32:37 +0000', '2016-10-13 15:32:44 +0000', '9.59'],
    ]);
    for (const t of list) {
      expect(t).toMatchObject({
        from_name: 'DATABASE',
        from_type: 'pg_dump',
        to_name: 'BACKUP',
        to_type: 'gof3r',
        succeeded: true,
      });
      expect(t).toMatchObject({ canceled_at: null, deleted_at: null });
      expect(t).not.toHaveProperty('schedule');
      expect(t).not.toHaveProperty('logs');
    }
  });

  it('give staging a couple of its own, one made by its schedule', async () => {
    const list = await transfers(sim, BRAVO);
    expect(list.map(nameOf)).toEqual(['b009', 'b010', 'a011']);
    const [{ uuid }] = (await api(sim, `/client/v11/databases/${await databaseId(sim, BRAVO)}/transfer-schedules`))
      .body;
    expect(list[2].schedule).toEqual({ uuid });
  });

  it('each database holds content that no backup has until something is restored', async () => {
    expect(await databaseState(sim)).toMatchObject({
      live_backup: null,
      content: { id: `${ALFA_DB}@2016-10-20T18:04:11Z` },
    });
  });
});

describe('GET /client/v11/apps/{app}/transfers/{num_or_uuid}', () => {
  it('finds a transfer by num or uuid, with the app named or by UUID; logs only with verbose=true', async () => {
    const appId = (await api(sim, `/apps/${ALFA}`)).body.id;
    const byNum = await transfer(sim, 16);
    expect(byNum.num).toBe(16);
    expect(byNum).not.toHaveProperty('logs');
    expect(await transfer(sim, byNum.uuid, appId)).toEqual(byNum);
    const verbose = await transfer(sim, 16, ALFA, true);
    expect(verbose.logs.at(-1)).toEqual({ created_at: '2016-10-13 15:32:44 +0000', level: 'info', message: 'DONE' });
  });

  it('answers 404 not_found with a message for unknown transfers, apps and databases', async () => {
    for (const [path, resource] of [
      [`/client/v11/apps/${ALFA}/transfers/99`, 'transfer'],
      [`/client/v11/apps/no-such-app/transfers`, 'app'],
      ['/client/v11/databases/00000000-0000-0000-0000-000000000000', 'database'],
    ]) {
      const response = await api(sim, path);
      expect(response.status).toBe(404);
      expect(response.body).toEqual({
        id: 'not_found',
        message: expect.stringMatching(/^Couldn't find that/),
        resource,
      });
    }
  });
});

describe('authentication and media types', () => {
  it('accepts Bearer and Basic :token, and refuses anything else with 401 unauthorized', async () => {
    const basic = `Basic ${Buffer.from(`:${sim.token}`).toString('base64')}`;
    expect((await api(sim, `/client/v11/apps/${ALFA}/transfers`, { headers: { Authorization: basic } })).status).toBe(
      200,
    );
    const wrong = await api(sim, `/client/v11/apps/${ALFA}/transfers`, { headers: { Authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.id).toBe('unauthorized');
  });

  it('accepts plain application/json or no Accept header, unlike the Platform API', async () => {
    const path = `/client/v11/apps/${ALFA}/transfers`;
    expect((await api(sim, path, { headers: { Accept: 'application/json' } })).status).toBe(200);
    const bare = await fetch(sim.url + path, { headers: { Authorization: `Bearer ${sim.token}` } });
    expect(bare.status).toBe(200);
    expect((await api(sim, path, { headers: { Accept: 'text/html' } })).status).toBe(406);
    expect((await api(sim, `/apps/${ALFA}`, { headers: { Accept: 'application/json' } })).status).toBe(406);
  });
});

describe('POST /client/v11/databases/{id}/backups', () => {
  it('creates a pending backup that starts, grows at the configured rate and completes in simulated time', async () => {
    const created = await capture();
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      num: 17,
      from_name: 'DATABASE',
      from_type: 'pg_dump',
      to_type: 'gof3r',
      source_bytes: DB_BYTES,
      processed_bytes: 0,
      succeeded: false,
      started_at: null,
      finished_at: null,
    });
    expect(nameOf(created.body)).toBe('b017');
    const { uuid } = created.body;
    expect(await effectsOf(sim, 'backup')).toEqual([
      expect.objectContaining({ app: ALFA, name: 'b017', uuid, database: ALFA_DB }),
    ]);

    clock.advance(PENDING_MS - 1);
    expect(await transfer(sim, uuid)).toMatchObject({ started_at: null, processed_bytes: 0 });
    clock.advance(1 + 5_000);
    const running = await transfer(sim, uuid);
    expect(running).toMatchObject({ started_at: expect.any(String), finished_at: null });
    // 5 s at 1 MB/s, give or take the millisecond the timeline is rounded to.
    expect(Math.abs(running.processed_bytes - 5 * RATE)).toBeLessThan(1_000);
    clock.advance(5_125);
    expect((await transfer(sim, uuid)).finished_at).toBeNull();
    clock.advance(1);
    const done = await transfer(sim, uuid, ALFA, true);
    expect(done).toMatchObject({ succeeded: true, processed_bytes: DUMP_BYTES, canceled_at: null });
    expect(done.finished_at).not.toBeNull();
    expect(done.logs.map((log: { message: string }) => log.message)).toContain('upload done');
    // The backup remembers the content it captured.
    expect(await contentOfBackup(sim, 17)).toEqual((await databaseState(sim)).content);
  });

  it('runs simulated durations faster at a higher speed', async () => {
    await control(sim, 'PUT', '/clock', { speed: 10 });
    const { uuid } = (await capture()).body;
    clock.advance(PENDING_MS / 10 - 1);
    expect((await transfer(sim, uuid)).started_at).toBeNull();
    clock.advance(1);
    expect((await transfer(sim, uuid)).started_at).not.toBeNull();
    clock.advance(1_013);
    expect((await transfer(sim, uuid)).succeeded).toBe(true);
  });

  it('numbers transfers per app, captures and restores alike', async () => {
    const b016 = await transfer(sim, 16);
    const names = [];
    names.push(nameOf((await capture()).body));
    names.push(nameOf((await restore(b016.to_url)).body));
    names.push(nameOf((await capture()).body));
    names.push(nameOf((await capture(await databaseId(sim, BRAVO))).body));
    expect(names).toEqual(['b017', 'r018', 'b019', 'b012']);
  });

  it('fails the next N captures when told to, with logs saying why', async () => {
    expect(await control(sim, 'PUT', '/data-api', { failNextCaptures: 1 })).toMatchObject({ failNextCaptures: 1 });
    const failing = (await capture()).body;
    const succeeding = (await capture()).body;
    expect((await control(sim, 'GET', '/data-api')).failNextCaptures).toBe(0);
    clock.advance(60_000);

    const failed = await transfer(sim, failing.num, ALFA, true);
    expect(failed).toMatchObject({ succeeded: false, canceled_at: null });
    expect(failed.finished_at).not.toBeNull();
    expect(failed.processed_bytes).toBeLessThan(DUMP_BYTES);
    const messages = failed.logs.map((log: { message: string }) => log.message);
    expect(messages.slice(-4)).toEqual([
      'pg_dump: error: Dumping the contents of table "projects" failed: PQgetResult() failed.',
      'pg_dump: error: Error message from server: server closed the connection unexpectedly',
      'pg_dump failed',
      'FAILED',
    ]);
    expect((await transfer(sim, succeeding.num)).succeeded).toBe(true);
  });

  it('fails a capture by the name it will get', async () => {
    await control(sim, 'PUT', '/data-api', { failTransfers: ['b018'] });
    const first = (await capture()).body;
    const second = (await capture()).body;
    clock.advance(60_000);
    expect((await transfer(sim, first.num)).succeeded).toBe(true);
    expect((await transfer(sim, second.num)).succeeded).toBe(false);
  });
});

describe('POST /client/v11/databases/{id}/restores', () => {
  it("replaces the database's content with the backup's when it finishes", async () => {
    const b016 = await transfer(sim, 16);
    const created = await restore(b016.to_url);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      num: 17,
      from_name: 'b016',
      from_type: 'gof3r',
      to_name: 'DATABASE',
      to_type: 'pg_restore',
    });
    expect(created.body.source_bytes).toBe(b016.processed_bytes);
    expect(nameOf(created.body)).toBe('r017');
    expect(await effectsOf(sim, 'restore')).toEqual([
      expect.objectContaining({ app: ALFA, name: 'r017', uuid: created.body.uuid, backup: 'b016', database: ALFA_DB }),
    ]);

    expect((await databaseState(sim)).live_backup).toBeNull();
    clock.advance(PENDING_MS + 10_000);
    expect((await databaseState(sim)).live_backup).toBeNull();
    clock.advance(100);
    expect((await transfer(sim, created.body.uuid)).succeeded).toBe(true);
    expect(await databaseState(sim)).toMatchObject({ live_backup: 'b016', content: await contentOfBackup(sim, 16) });
  });

  it('restores from a public URL of a backup, or from a URL the simulator did not make', async () => {
    const { url } = (await api(sim, `/client/v11/apps/${ALFA}/transfers/13/actions/public-url`, { method: 'POST' }))
      .body;
    await restore(url);
    clock.advance(60_000);
    expect((await databaseState(sim)).live_backup).toBe('b013');

    const external = await restore('https://example.com/dumps/latest.dump');
    expect(external.body).toMatchObject({ from_type: 'htcat', from_name: null });
    clock.advance(60_000);
    expect(await databaseState(sim)).toMatchObject({
      live_backup: null,
      content: { id: 'url:https://example.com/dumps/latest.dump' },
    });
  });

  it('fails restores from a backup named in failTransfers, and restores of deleted backups, leaving the content', async () => {
    const before = (await databaseState(sim)).content;
    await control(sim, 'PUT', '/data-api', { failTransfers: ['b015'] });
    const b015 = await transfer(sim, 15);
    const b014 = await transfer(sim, 14);
    await api(sim, `/client/v11/apps/${ALFA}/transfers/14`, { method: 'DELETE' });
    const fromCorrupt = (await restore(b015.to_url)).body;
    const fromDeleted = (await restore(b014.to_url)).body;
    clock.advance(60_000);

    expect((await transfer(sim, fromCorrupt.uuid)).succeeded).toBe(false);
    const deleted = await transfer(sim, fromDeleted.uuid, ALFA, true);
    expect(deleted.succeeded).toBe(false);
    expect(deleted.logs.map((log: { message: string }) => log.message)).toContain(
      'pg_restore: error: could not read input file: backup b014 is not available',
    );
    expect((await databaseState(sim)).content).toEqual(before);
  });

  it('fails the next N restores when told to', async () => {
    await control(sim, 'PUT', '/data-api', { failNextRestores: 1 });
    const b016 = await transfer(sim, 16);
    const failing = (await restore(b016.to_url)).body;
    clock.advance(60_000);
    expect((await transfer(sim, failing.uuid)).succeeded).toBe(false);
    expect((await databaseState(sim)).live_backup).toBeNull();
  });

  it('answers 422 invalid_params naming backup_url when it is missing or not a URL', async () => {
    for (const body of [{}, { backup_url: 'b016' }]) {
      const response = await api(sim, `/client/v11/databases/${db}/restores`, { method: 'POST', body });
      expect(response.status).toBe(422);
      expect(response.body).toEqual({ id: 'invalid_params', message: expect.stringContaining('backup_url') });
    }
    expect(await effectsOf(sim, 'restore')).toEqual([]);
  });
});

describe('POST /client/v11/apps/{app}/transfers/{id}/actions/cancel', () => {
  it('cancels an unfinished transfer once, where it stood', async () => {
    const { uuid } = (await capture()).body;
    clock.advance(PENDING_MS + 2_000);
    const canceled = await api(sim, `/client/v11/apps/${ALFA}/transfers/${uuid}/actions/cancel`, { method: 'POST' });
    expect(canceled.status).toBe(200);
    expect(canceled.body.succeeded).toBe(false);
    expect(Math.abs(canceled.body.processed_bytes - 2 * RATE)).toBeLessThan(1_000);
    expect(canceled.body.canceled_at).not.toBeNull();
    expect(canceled.body.finished_at).toBe(canceled.body.canceled_at);
    clock.advance(60_000);
    expect((await transfer(sim, uuid)).processed_bytes).toBe(canceled.body.processed_bytes);

    const again = await api(sim, `/client/v11/apps/${ALFA}/transfers/${uuid}/actions/cancel`, { method: 'POST' });
    expect(again.status).toBe(409);
    expect(again.body.id).toBe('conflict');
    expect(await effectsOf(sim, 'transfer-cancel')).toEqual([
      expect.objectContaining({ app: ALFA, name: 'b017', uuid }),
    ]);
  });

  it('leaves the database as it was when a restore is canceled', async () => {
    const before = (await databaseState(sim)).content;
    const { num } = (await restore((await transfer(sim, 16)).to_url)).body;
    expect(
      (await api(sim, `/client/v11/apps/${ALFA}/transfers/${num}/actions/cancel`, { method: 'POST' })).status,
    ).toBe(200);
    clock.advance(60_000);
    expect((await databaseState(sim)).content).toEqual(before);
  });
});

describe('DELETE /client/v11/apps/{app}/transfers/{num}', () => {
  it('deletes a finished backup: gone from the list, still readable by num with deleted_at', async () => {
    const response = await api(sim, `/client/v11/apps/${ALFA}/transfers/12`, { method: 'DELETE' });
    expect(response.status).toBe(200);
    expect((await transfers(sim)).map(nameOf)).toEqual(['b013', 'b014', 'b015', 'b016']);
    expect((await transfer(sim, 12)).deleted_at).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000$/);
    expect((await api(sim, `/client/v11/apps/${ALFA}/transfers/12`, { method: 'DELETE' })).status).toBe(404);
    expect(await effectsOf(sim, 'transfer-delete')).toEqual([expect.objectContaining({ app: ALFA, name: 'b012' })]);
  });

  it('refuses to delete a running transfer with 409 conflict', async () => {
    const { num } = (await capture()).body;
    const response = await api(sim, `/client/v11/apps/${ALFA}/transfers/${num}`, { method: 'DELETE' });
    expect(response.status).toBe(409);
    expect(await effectsOf(sim, 'transfer-delete')).toEqual([]);
  });
});

describe('POST /client/v11/apps/{app}/transfers/{num}/actions/public-url', () => {
  it('gives an hour-long URL for a completed backup and 422 for anything else', async () => {
    const b016 = await transfer(sim, 16);
    const response = await api(sim, `/client/v11/apps/${ALFA}/transfers/16/actions/public-url`, { method: 'POST' });
    expect(response.status).toBe(200);
    expect(response.body.url.startsWith(`${b016.to_url}?`)).toBe(true);
    const inAnHour = new Date(clock.now().getTime() + 3_600_000).toISOString();
    expect(response.body.expires_at).toBe(`${inAnHour.slice(0, 10)} ${inAnHour.slice(11, 19)} +0000`);

    const { num } = (await restore(b016.to_url)).body;
    const refused = await api(sim, `/client/v11/apps/${ALFA}/transfers/${num}/actions/public-url`, { method: 'POST' });
    expect(refused.status).toBe(422);
    expect(refused.body.id).toBe('invalid_params');
  });
});
