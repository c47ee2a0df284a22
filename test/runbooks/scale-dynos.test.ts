import type { ScaleDynosResult } from '../../common/formation';
import { waitForRunbook } from '../../client/launch';
import { progressQuery } from '../../common/messages';
import { RunbookHarness, STAGING } from '../support/harness';

let harness: RunbookHarness;

beforeAll(async () => {
  harness = await RunbookHarness.start({ environments: { staging: { app: STAGING } } });
});
afterAll(() => harness?.stop());
beforeEach(() => harness.sim.reset());

async function formation(): Promise<Record<string, string>> {
  const list: Array<{ type: string; quantity: number; size: string }> = await harness.sim
    .api()
    .get(`/apps/${STAGING}/formation`);
  return Object.fromEntries(list.map((p) => [p.type, `${p.quantity}:${p.size}`]));
}

async function formationEffects(): Promise<unknown[]> {
  return (await harness.sim.effects()).filter((effect) => effect.kind === 'formation');
}

test('scales to absolute quantities and sizes, returns the previous formation, and reads it back', async () => {
  const result = await harness.succeeded<ScaleDynosResult>('scale-dynos', {
    environment: 'staging',
    processes: { worker: '0', scheduler: 0, web: '2:Standard-2X' },
  });
  expect(result.previous).toEqual(
    expect.arrayContaining([
      { type: 'web', quantity: 1, size: 'Standard-1X' },
      { type: 'worker', quantity: 1, size: 'Standard-1X' },
      { type: 'scheduler', quantity: 1, size: 'Standard-1X' },
    ]),
  );
  expect(result.changed.sort()).toEqual(['scheduler', 'web', 'worker']);
  expect(await formation()).toEqual({ web: '2:Standard-2X', worker: '0:Standard-1X', scheduler: '0:Standard-1X' });
  expect(result.summary).toBe(
    `Scaled ${STAGING}: scheduler=0:Standard-1X web=2:Standard-2X worker=0:Standard-1X (was scheduler=1:Standard-1X web=1:Standard-1X worker=1:Standard-1X).`,
  );
  expect(await formationEffects()).toHaveLength(3);
});

test('scaling back to the recorded formation, and a second identical run changes nothing', async () => {
  const down = await harness.succeeded<ScaleDynosResult>('scale-dynos', {
    environment: 'staging',
    processes: { worker: '0' },
  });
  const back = Object.fromEntries(
    down.previous.filter((p) => p.type === 'worker').map((p) => [p.type, `${p.quantity}:${p.size}`]),
  );
  await harness.succeeded('scale-dynos', { environment: 'staging', processes: back });
  expect((await formation()).worker).toBe('1:Standard-1X');
  const effectsBefore = await formationEffects();

  const again = await harness.run<'scale-dynos', ScaleDynosResult>('scale-dynos', {
    environment: 'staging',
    processes: back,
  });
  expect(again.status === 'succeeded' && again.result).toMatchObject({
    changed: [],
    summary: expect.stringContaining('nothing changed'),
  });
  expect(await formationEffects()).toEqual(effectsBefore);
  const progress = await harness.client.workflow.getHandle(again.workflowId).query(progressQuery);
  expect(progress.steps.map((step) => [step.name, step.status])).toEqual([
    ['resolve', 'succeeded'],
    ['lock', 'succeeded'],
    ['read', 'succeeded'],
    ['scale', 'skipped'],
    ['verify', 'succeeded'],
  ]);
});

test('an unknown process type fails without scaling anything, naming the types the app has', async () => {
  const outcome = await harness.run('scale-dynos', { environment: 'staging', processes: { worker: '0', wrker: '0' } });
  expect(outcome.status).toBe('failed');
  if (outcome.status !== 'failed') return;
  expect(outcome.error.message).toBe(
    `${STAGING} has no process type "wrker"; its process types are web, worker, scheduler. Nothing was scaled.`,
  );
  expect(await formationEffects()).toEqual([]);
});

test('bad input names the field before any Heroku call', async () => {
  // Started as the Temporal UI starts it: one JSON object, no client-side check.
  const handle = await harness.client.workflow.start('scaleDynos', {
    args: [{ environment: 'staging', processes: { worker: 'zero' } }],
    taskQueue: harness.taskQueue,
    workflowId: `scale-bad-${Date.now()}`,
  });
  const outcome = await waitForRunbook(handle);
  expect(outcome.status === 'failed' && outcome.error).toMatchObject({
    type: 'InvalidRunbookInput',
    message: expect.stringMatching(/^Invalid input for scale-dynos: processes\.worker: /),
  });
  // The client refuses an empty scale before starting anything.
  await expect(harness.start('scale-dynos', { environment: 'staging', processes: {} })).rejects.toThrow(
    /processes: name at least one process type/,
  );
  expect(await harness.sim.calls()).toEqual([]);
});
