// A change Heroku made whose answer never arrived — the connection dropped after the change — is made once: the
// HTTP client must not re-send it by itself (heroku-client does, for POST and PATCH, after a connection error),
// and the activity's retry must find what the first request did. Counted from the simulator's requests and effects.
import { pathPattern } from '../simulator/faults';
import { PRODUCTION, STAGING, useRunbookHarness } from './support/harness';

const setup = useRunbookHarness({ environments: { production: { app: PRODUCTION }, staging: { app: STAGING } } });

const cases = [
  {
    what: 'a backup capture',
    method: 'POST',
    path: '/client/v11/databases/*/backups',
    effect: 'backup',
    start: () => setup.harness.run('capture-backup', { environment: 'production' }),
  },
  {
    what: 'a one-off dyno',
    method: 'POST',
    path: '/apps/*/dynos',
    effect: 'dyno-create',
    start: () => setup.harness.run('rebuild-search-index', { environment: 'staging' }),
  },
  {
    what: 'a config change',
    method: 'PATCH',
    path: '/apps/*/config-vars',
    effect: 'release',
    start: () => setup.harness.run('maintenance-on', { environment: 'staging' }),
  },
] as const;

describe.each(cases)('$what whose answer was lost', ({ method, path, effect, start }) => {
  test.each(['drop', 'error'] as const)('(then: %s) is made once', async (then) => {
    await setup.harness.sim.control('POST', 'faults', { method, path, action: 'apply-then-fail', then, count: 1 });
    const outcome = await start();
    expect(outcome).toMatchObject({ status: 'succeeded' });
    const pattern = pathPattern(path);
    const sent = (await setup.harness.sim.calls()).filter((call) => call.method === method && pattern.test(call.path));
    // The lost one and nothing else: the activity's retry looked before asking again, and found it.
    expect(sent).toHaveLength(1);
    // Every request names the run and the step that sent it (what the chaos runs attribute each change by).
    expect(sent[0].sender?.split(' ').map(decodeURIComponent)).toEqual([
      outcome.workflowId,
      outcome.runId,
      expect.stringMatching(/^\d+$/),
      expect.stringMatching(/^start|^set/),
    ]);
    expect((await setup.harness.sim.effects()).filter((e) => e.kind === effect)).toHaveLength(1);
  });
});

test('a wait rides through Heroku failing a few of its polls: no attempt of the watch fails, the run succeeds', async () => {
  await setup.harness.sim.control('POST', 'faults', {
    method: 'GET',
    path: '/client/v11/apps/*/transfers/*',
    action: 'error',
    status: 503,
    count: 3,
  });
  const outcome = await setup.harness.run('capture-backup', { environment: 'production' });
  expect(outcome).toMatchObject({ status: 'succeeded' });
  const polls = (await setup.harness.sim.calls()).filter((call) => /\/transfers\/[^/]+$/.test(call.path));
  expect(polls.filter((call) => call.status === 503)).toHaveLength(3);
  // Every watch activity ended in its first attempt: the blips cost a poll each, not an attempt (and its backoff).
  const history = await setup.harness.client.workflow.getHandle(outcome.workflowId).fetchHistory();
  const watches = (history.events ?? []).filter(
    (event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'watchTransfer',
  );
  expect(watches.length).toBeGreaterThan(0);
  const attempts = (history.events ?? [])
    .filter((event) => event.activityTaskStartedEventAttributes)
    .map((event) => event.activityTaskStartedEventAttributes!.attempt);
  expect(attempts.every((attempt) => attempt === 1)).toBe(true);
});
