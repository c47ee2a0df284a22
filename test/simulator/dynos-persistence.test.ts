import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator } from '../../simulator';
import {
  createDyno,
  createLogSession,
  effectsOf,
  readLogStream,
  setSpeed,
  waitUntilGone,
  withoutTimestamp,
} from './dynos-helpers';
import { ALFA, api, control } from './helpers';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'heroku-sim-dynos-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

it('keeps one-off dynos across a restart: a running one goes on and exits on schedule, a finished one keeps its log', async () => {
  const statePath = join(dir, 'state.json');
  const first = await startSimulator({ statePath, speed: 600 });
  let finished: string;
  let running: string;
  try {
    await control(first, 'POST', '/dyno-outcomes', { pattern: '^python manage.py long_task$', durationSeconds: 1800 });
    finished = (await createDyno(first, ALFA, { command: 'python manage.py migrate' })).body.name;
    await waitUntilGone(first, ALFA, finished);
    running = (await createDyno(first, ALFA, { command: 'python manage.py long_task' })).body.name;
  } finally {
    await first.close();
  }
  const saved = JSON.parse(readFileSync(statePath, 'utf8'));
  expect(saved.apps[0].dynos.one_offs.map((d: { name: string }) => d.name)).toEqual([finished, running]);

  // The schedule was fixed at 600×: 1800 s of work end 3 s after the boot, whatever the new speed.
  const second = await startSimulator({ statePath });
  try {
    expect((await api(second, `/apps/${ALFA}/dynos/${running}`)).body.state).toMatch(/^(starting|up)$/);
    const log = await readLogStream(await createLogSession(second, ALFA, { dyno: finished }));
    expect(withoutTimestamp(log.at(-2)!)).toBe(`heroku[${finished}]: Process exited with status 0`);

    await waitUntilGone(second, ALFA, running);
    expect((await effectsOf(second, 'dyno-exit')).map((e) => [e.name, e.status])).toEqual([
      [finished, 0],
      [running, 0],
    ]);
  } finally {
    await second.close();
  }
});

it('loads a state file written before dynos existed', async () => {
  const statePath = join(dir, 'state.json');
  const seeded = await startSimulator({ statePath });
  await seeded.close();
  const state = JSON.parse(readFileSync(statePath, 'utf8'));
  for (const app of state.apps) delete app.dynos;
  writeFileSync(statePath, JSON.stringify(state));

  const sim = await startSimulator({ statePath });
  try {
    await setSpeed(sim, 600);
    const listed = (await api(sim, `/apps/${ALFA}/dynos`)).body as Array<{ name: string }>;
    expect(listed.map((d) => d.name).sort()).toEqual(['scheduler.1', 'web.1', 'worker.1']);
    expect((await createDyno(sim, ALFA, { command: 'python manage.py migrate' })).status).toBe(201);
  } finally {
    await sim.close();
  }
});

it('refuses a state file with a malformed dyno, naming the field', async () => {
  const statePath = join(dir, 'state.json');
  const seeded = await startSimulator({ statePath });
  await seeded.close();
  const state = JSON.parse(readFileSync(statePath, 'utf8'));
  state.apps[0].dynos.one_offs.push({ name: 'run.1' });
  writeFileSync(statePath, JSON.stringify(state));
  await expect(startSimulator({ statePath })).rejects.toThrow(/apps\[0\]\.dynos\.one_offs\[0\]\.id/);
});
