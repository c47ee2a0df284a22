import type { RunningSimulator } from '../../simulator';
import { ALFA_DB, contentOfBackup, databaseId, databaseState, effectsOf, transfer } from './data-api-helpers';
import { ALFA, api, control, useSimulator } from './helpers';
import { herokuCli } from '../../scripts/official-heroku-cli';

/**
 * The official Heroku CLI's pg:backups commands against the simulator. At 600× a capture or restore of the runbook's
 * database (7 simulated seconds) finishes long before the CLI's first 3-second poll. Each case checks what the CLI
 * printed and what the simulated platform did.
 */

let sim: RunningSimulator;
useSimulator((started) => (sim = started), { speed: 600 });

const heroku = async (...args: string[]) => {
  const result = await herokuCli(sim, [...args, '--app', ALFA]);
  return { ...result, output: result.stdout + result.stderr };
};
/** Table rows with their padding collapsed. */
const rows = (text: string) => text.split('\n').map((line) => line.trim().split(/\s+/).join(' '));
const schedule = () => heroku('pg:backups:schedule', 'DATABASE_URL', '--at', '02:00 America/New_York');

it("pg:backups lists the runbook's backups", async () => {
  const result = await heroku('pg:backups');
  expect(result.code).toBe(0);
  const table = rows(result.stdout);
  const header = table.indexOf('ID Created at Status Size Database');
  expect(header).toBeGreaterThan(0);
  expect(table.slice(header + 2, header + 7)).toEqual([
    'b016 2016-10-13 15:32:37 +0000 Completed 2016-10-13 15:32:44 +0000 9.59MB DATABASE',
    'b015 2016-09-19 14:10:03 +0000 Completed 2016-09-19 14:10:17 +0000 9.38MB DATABASE',
    'b014 2016-08-30 21:39:15 +0000 Completed 2016-08-30 21:39:23 +0000 9.27MB DATABASE',
    'b013 2016-08-26 21:51:46 +0000 Completed 2016-08-26 21:51:53 +0000 9.20MB DATABASE',
    'b012 2016-08-22 21:12:30 +0000 Completed 2016-08-22 21:12:36 +0000 9.08MB DATABASE',
  ]);
  expect(result.stdout).toContain('No restores found.');
  expect(await control(sim, 'GET', '/effects')).toEqual([]);
});

it('pg:backups:capture captures b017 once and waits for it', async () => {
  const result = await heroku('pg:backups:capture');
  expect(result.code).toBe(0);
  expect(result.output).toContain(`Starting backup of ${ALFA_DB}... done`);
  expect(result.output).toContain('Backing up DATABASE to b017... done');

  expect(await transfer(sim, 17)).toMatchObject({ succeeded: true, from_name: 'DATABASE' });
  expect(await contentOfBackup(sim, 17)).toEqual((await databaseState(sim)).content);
  expect(await effectsOf(sim, 'backup')).toEqual([
    expect.objectContaining({ app: ALFA, name: 'b017', database: ALFA_DB }),
  ]);
});

it('pg:backups:capture fails with the logs when the backup fails', async () => {
  await control(sim, 'PUT', '/data-api', { failNextCaptures: 1 });
  const result = await heroku('pg:backups:capture');
  // The CLI reports it through oclif's ux.error, whose exit status is 2.
  expect(result.code).toBe(2);
  // The CLI wraps the last log lines to the terminal width.
  const text = result.output.replace(/\s+/g, ' ');
  expect(text).toContain('An error occurred and the backup did not finish.');
  expect(text).toContain(
    'pg_dump: error: Error message from server: server closed the connection unexpectedly pg_dump failed FAILED',
  );
  expect(text).toContain('Run heroku pg:backups:info b017 for more details.');
  expect(await transfer(sim, 17)).toMatchObject({ succeeded: false });
  expect(await effectsOf(sim, 'backup')).toHaveLength(1);
});

it('pg:backups:capture finds a database by a config var alias when the resolver has no match', async () => {
  const { DATABASE_URL } = (await api(sim, `/apps/${ALFA}/config-vars`)).body;
  await api(sim, `/apps/${ALFA}/config-vars`, { method: 'PATCH', body: { REPORTING_DB_URL: DATABASE_URL } });

  const result = await heroku('pg:backups:capture', 'REPORTING_DB');
  expect(result.code).toBe(0);
  expect(result.output).toContain('Backing up DATABASE to b017... done');
  const calls = (await control(sim, 'GET', '/calls')).map(
    (call: { method: string; path: string; status: number }) => `${call.method} ${call.path} ${call.status}`,
  );
  expect(calls).toEqual(
    expect.arrayContaining([
      'POST /actions/addon-attachments/resolve 404',
      `GET /apps/${ALFA}/addon-attachments 200`,
      `GET /apps/${ALFA}/config-vars 200`,
      `POST /client/v11/databases/${await databaseId(sim)}/backups 201`,
    ]),
  );
});

it('pg:backups:schedule sets the daily schedule, and pg:backups:schedules shows it', async () => {
  const set = await schedule();
  expect(set.code).toBe(0);
  expect(set.output).toContain(`Scheduling automatic daily backups of ${ALFA_DB} at 02:00 America/New_York... done`);
  expect((await databaseState(sim)).schedule).toMatchObject({
    name: 'DATABASE_URL',
    hour: 2,
    timezone: 'America/New_York',
  });
  expect(await effectsOf(sim, 'schedule-set')).toHaveLength(1);

  const shown = await heroku('pg:backups:schedules');
  expect(shown.code).toBe(0);
  expect(shown.stdout).toContain('DATABASE_URL: daily at 2:00 America/New_York');
});

it('pg:backups:restore b016 restores it once, and the schedule is gone afterwards', async () => {
  await schedule();
  const before = await heroku('pg:backups:schedules');
  expect(before.stdout).toContain('DATABASE_URL: daily at 2:00 America/New_York');

  const result = await heroku('pg:backups:restore', 'b016', 'DATABASE_URL', '--confirm', ALFA);
  expect(result.code).toBe(0);
  expect(result.output).toContain(`Starting restore of b016 to ${ALFA_DB}... done`);
  expect(result.output).toContain('Restoring... done');

  expect(await databaseState(sim)).toMatchObject({
    live_backup: 'b016',
    content: await contentOfBackup(sim, 16),
    schedule: null,
  });
  expect(await effectsOf(sim, 'restore')).toEqual([
    expect.objectContaining({ app: ALFA, name: 'r017', backup: 'b016', database: ALFA_DB }),
  ]);
  expect(await effectsOf(sim, 'schedule-dropped')).toHaveLength(1);
  // The CLI polls a restore with the app's UUID in the path (reference §4.4).
  const appId = (await api(sim, `/apps/${ALFA}`)).body.id;
  const paths = (await control(sim, 'GET', '/calls')).map((call: { path: string }) => call.path);
  expect(paths.some((path: string) => path.startsWith(`/client/v11/apps/${appId}/transfers/`))).toBe(true);

  const after = await heroku('pg:backups:schedules');
  expect(after.code).toBe(0);
  expect(after.output).toContain(`No backup schedules found on ${ALFA}`);
});

it('pg:backups:restore keeps the schedule when the simulator is told restores do not drop it', async () => {
  await control(sim, 'PUT', '/data-api', { restoreDropsSchedule: false });
  await schedule();
  expect((await heroku('pg:backups:restore', 'b015', 'DATABASE_URL', '--confirm', ALFA)).code).toBe(0);
  expect((await heroku('pg:backups:schedules')).stdout).toContain('DATABASE_URL: daily at 2:00 America/New_York');
  expect((await databaseState(sim)).live_backup).toBe('b015');
});

it('pg:backups:cancel cancels the running backup', async () => {
  // Long enough that the backup is still pending when the CLI looks.
  await control(sim, 'PUT', '/data-api', { transferPendingMs: 3_600_000 });
  await api(sim, `/client/v11/databases/${await databaseId(sim)}/backups`, { method: 'POST' });
  const result = await heroku('pg:backups:cancel');
  expect(result.code).toBe(0);
  expect(result.output).toContain('Cancelling b017... done');
  expect((await transfer(sim, 17)).canceled_at).not.toBeNull();
  expect(await effectsOf(sim, 'transfer-cancel')).toHaveLength(1);
});

it('pg:backups:url and pg:backups:delete work on b012', async () => {
  const url = await heroku('pg:backups:url', 'b012');
  expect(url.code).toBe(0);
  expect(url.stdout.trim().startsWith(`${(await transfer(sim, 12)).to_url}?`)).toBe(true);

  const deleted = await heroku('pg:backups:delete', 'b012', '--confirm', ALFA);
  expect(deleted.code).toBe(0);
  expect(deleted.output).toContain(`Deleting backup b012 on ${ALFA}... done`);
  expect(await effectsOf(sim, 'transfer-delete')).toEqual([expect.objectContaining({ name: 'b012' })]);
  expect(rows((await heroku('pg:backups')).stdout).some((row) => row.startsWith('b012 '))).toBe(false);
});
