import type { RunningSimulator } from '../../simulator';
import { effectsOf } from './data-api-helpers';
import { ALFA, BRAVO, type Json, api, control, useSimulator } from './helpers';
import { herokuCli } from '../../scripts/official-heroku-cli';

/**
 * The official Heroku CLI's Platform API commands of the runbook against the simulator: what it printed, and what
 * the simulated platform did.
 */

let sim: RunningSimulator;
useSimulator((started) => (sim = started));

const heroku = async (app: string, ...args: string[]) => {
  const result = await herokuCli(sim, [...args, '--app', app]);
  return { ...result, output: result.stdout + result.stderr };
};
const rows = (text: string) => text.split('\n').map((line) => line.trim().split(/\s+/).join(' '));
const appState = async (name: string): Promise<Json> =>
  (await control(sim, 'GET', '/state')).apps.find((app: { name: string }) => app.name === name);
const newestVersion = async (app: string) =>
  Math.max(...(await appState(app)).releases.map((r: { version: number }) => r.version));

it('maintenance:on and maintenance:off toggle the flag without a release', async () => {
  const versions = await newestVersion(ALFA);
  const on = await heroku(ALFA, 'maintenance:on');
  expect(on.code).toBe(0);
  expect(on.output).toContain(`Enabling maintenance mode for ${ALFA}... done`);
  expect((await appState(ALFA)).maintenance).toBe(true);

  const off = await heroku(ALFA, 'maintenance:off');
  expect(off.code).toBe(0);
  expect(off.output).toContain(`Disabling maintenance mode for ${ALFA}... done`);
  expect((await appState(ALFA)).maintenance).toBe(false);
  expect((await effectsOf(sim, 'maintenance')).map((e) => [e.from, e.to])).toEqual([
    [false, true],
    [true, false],
  ]);
  expect(await newestVersion(ALFA)).toBe(versions);
});

it('config:set and config:unset change config vars, each with a release the CLI reports', async () => {
  const before = await newestVersion(BRAVO);
  const set = await heroku(BRAVO, 'config:set', 'MAINTENANCE_MODE=true');
  expect(set.code).toBe(0);
  expect(set.output).toContain(`Setting MAINTENANCE_MODE and restarting ${BRAVO}... done, v${before + 1}`);
  expect(rows(set.stdout)).toContain('MAINTENANCE_MODE: true');
  expect((await appState(BRAVO)).config_vars.MAINTENANCE_MODE).toBe('true');

  const unset = await heroku(BRAVO, 'config:unset', 'MAINTENANCE_MODE');
  expect(unset.code).toBe(0);
  expect(unset.output).toContain(`Unsetting MAINTENANCE_MODE and restarting ${BRAVO}... done, v${before + 2}`);
  expect((await appState(BRAVO)).config_vars).not.toHaveProperty('MAINTENANCE_MODE');
  expect((await effectsOf(sim, 'config_vars')).map((e) => [e.set, e.removed])).toEqual([
    [{ MAINTENANCE_MODE: 'true' }, []],
    [{}, ['MAINTENANCE_MODE']],
  ]);
});

it('ps:scale shows the runbook formation and scales a process type', async () => {
  const shown = await heroku(ALFA, 'ps:scale');
  expect(shown.code).toBe(0);
  expect(shown.stdout.trim()).toBe('scheduler=1:Standard-1X web=1:Standard-1X worker=1:Standard-1X');

  const scaled = await heroku(ALFA, 'ps:scale', 'web=2');
  expect(scaled.code).toBe(0);
  expect(scaled.output).toContain('Scaling dynos... done, now running web at 2:Standard-1X');
  expect((await appState(ALFA)).formation.find((f: { type: string }) => f.type === 'web').quantity).toBe(2);
  expect(await effectsOf(sim, 'formation')).toHaveLength(1);
});

it('releases lists the newest releases first', async () => {
  const releases = (await appState(ALFA)).releases.slice(-3).reverse();
  const result = await heroku(ALFA, 'releases', '-n', '3');
  expect(result.code).toBe(0);
  expect(result.stdout).toContain(`=== ${ALFA} Releases - Current: v${releases[0].version}`);
  const listed = rows(result.stdout).filter((row) => /^v\d+ /.test(row));
  expect(listed).toHaveLength(3);
  for (const [index, release] of releases.entries()) {
    expect(listed[index].startsWith(`v${release.version} ${release.description} ${release.user.email} `)).toBe(true);
  }
});

it("addons lists the app's add-ons, plans and attachments", async () => {
  const result = await heroku(ALFA, 'addons');
  expect(result.code).toBe(0);
  const table = rows(result.stdout);
  for (const [service, name, plan, attachment] of [
    ['heroku-postgresql', 'postgresql-rugged-48213', 'standard-0', 'DATABASE'],
    ['redistogo', 'redistogo-curved-71902', 'micro', 'REDISTOGO'],
    ['memcachier', 'memcachier-spherical-20417', '100', 'MEMCACHE'],
    ['bonsai', 'bonsai-clear-55310', 'staging', 'BONSAI'],
    ['papertrail', 'papertrail-fluffy-30985', 'choklad', 'PAPERTRAIL'],
    ['newrelic', 'newrelic-horizontal-67321', 'wayne', 'NEW_RELIC'],
    ['deployhooks', 'deployhooks-vertical-11803', 'email', 'DEPLOYHOOKS'],
  ]) {
    const row = table.findIndex((line) => line.startsWith(`${service} (${name}) ${plan} `));
    expect(row).toBeGreaterThanOrEqual(0);
    expect(table[row]).toMatch(/ created$/);
    expect(table[row + 1]).toBe(`└─ as ${attachment}`);
  }
  expect(await control(sim, 'GET', '/effects')).toEqual([]);
});

it('addons:create and addons:destroy add and remove an add-on with its config vars', async () => {
  const created = await heroku(BRAVO, 'addons:create', 'newrelic:wayne');
  expect(created.code).toBe(0);
  const name = /Created (newrelic-[a-z]+-\d+) as NEW_RELIC_LICENSE_KEY, NEW_RELIC_LOG/.exec(created.output)?.[1];
  expect(name).toBeDefined();
  expect((await appState(BRAVO)).config_vars).toHaveProperty('NEW_RELIC_LICENSE_KEY');
  expect(await effectsOf(sim, 'addon-create')).toEqual([
    expect.objectContaining({ app: BRAVO, addon: name, plan: 'newrelic:wayne' }),
  ]);

  const destroyed = await heroku(BRAVO, 'addons:destroy', name!, '--confirm', BRAVO);
  expect(destroyed.code).toBe(0);
  expect(destroyed.output).toContain(`Destroying ${name} on ${BRAVO}... done`);
  expect((await appState(BRAVO)).config_vars).not.toHaveProperty('NEW_RELIC_LICENSE_KEY');
  expect(await effectsOf(sim, 'addon-delete')).toEqual([expect.objectContaining({ app: BRAVO, addon: name })]);
  expect((await api(sim, `/addons/${name}`)).status).toBe(404);
});
