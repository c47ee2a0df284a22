import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator } from '../../simulator';
import { ALFA, control, herokuClient } from './helpers';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'heroku-sim-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

it('writes the seed to a new state file and keeps changes across restarts', async () => {
  const statePath = join(dir, 'nested', 'state.json');
  const first = await startSimulator({ statePath });
  let effects: unknown;
  try {
    expect(JSON.parse(readFileSync(statePath, 'utf8'))).toEqual(await control(first, 'GET', '/state'));
    const client = herokuClient(first);
    await client.patch(`/apps/${ALFA}`, { body: { maintenance: true } });
    await client.patch(`/apps/${ALFA}/config-vars`, { body: { MAINTENANCE_MODE: 'true' } });
    await client.patch(`/apps/${ALFA}/formation/worker`, { body: { quantity: 0 } });
    effects = await control(first, 'GET', '/effects');
  } finally {
    await first.close();
  }
  expect(readdirSync(join(dir, 'nested'))).toEqual(['state.json']);

  const second = await startSimulator({ statePath });
  try {
    const client = herokuClient(second);
    expect((await client.get(`/apps/${ALFA}`)).maintenance).toBe(true);
    expect((await client.get(`/apps/${ALFA}/config-vars`)).MAINTENANCE_MODE).toBe('true');
    expect((await client.get(`/apps/${ALFA}/formation/worker`)).quantity).toBe(0);
    expect(await control(second, 'GET', '/effects')).toEqual(effects);
    // Calls describe one process's traffic: only the three GETs above.
    const calls = await control(second, 'GET', '/calls');
    expect(calls.map((call: { seq: number; method: string }) => [call.seq, call.method])).toEqual([
      [1, 'GET'],
      [2, 'GET'],
      [3, 'GET'],
    ]);

    await control(second, 'POST', '/reset');
    expect(JSON.parse(readFileSync(statePath, 'utf8')).apps[0].maintenance).toBe(false);
  } finally {
    await second.close();
  }
});

it('refuses a state file that is not JSON, naming the file', async () => {
  const statePath = join(dir, 'state.json');
  writeFileSync(statePath, '{"apps": [');
  await expect(startSimulator({ statePath })).rejects.toThrow(`Invalid simulator state file ${statePath}`);
});

it('refuses a state file that fails the schema, naming the field', async () => {
  const statePath = join(dir, 'state.json');
  const seeded = await startSimulator({ statePath });
  await seeded.close();
  const state = JSON.parse(readFileSync(statePath, 'utf8'));
  state.apps[0].formation[1].quantity = 'two';
  writeFileSync(statePath, JSON.stringify(state));

  const failure = startSimulator({ statePath });
  await expect(failure).rejects.toThrow(statePath);
  await expect(failure).rejects.toThrow(/apps\[0\]\.formation\[1\]\.quantity: .*expected number/);
});

it('refuses unknown dyno sizes and config var names in the state file', async () => {
  const statePath = join(dir, 'state.json');
  const seeded = await startSimulator({ statePath });
  await seeded.close();
  const state = JSON.parse(readFileSync(statePath, 'utf8'));
  state.apps[1].formation[0].size = 'Huge';
  state.apps[1].config_vars['NOT-VALID'] = 'x';
  writeFileSync(statePath, JSON.stringify(state));

  const failure = startSimulator({ statePath });
  await expect(failure).rejects.toThrow('apps[1].formation[0].size');
  await expect(failure).rejects.toThrow('apps[1].config_vars');
});
