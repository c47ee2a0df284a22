import { nextPollInterval, pollingFromEnv } from '../activities/backups';

const polling = { initialMs: 1000, maxMs: 15_000, watchMs: 30_000 };

test('waits poll from a short first interval, growing by half up to the maximum', () => {
  const intervals = [polling.initialMs];
  while (intervals.length < 10) intervals.push(nextPollInterval(intervals.at(-1)!, polling, 4500));
  expect(intervals).toEqual([1000, 1500, 2250, 3375, 5063, 7595, 11393, 15000, 15000, 15000]);
});

test('on a low API budget (RateLimit-Remaining) waits poll at their slowest at once', () => {
  expect(nextPollInterval(1000, polling, 299)).toBe(15_000);
  expect(nextPollInterval(1000, polling, 300)).toBe(1500);
  expect(nextPollInterval(1000, polling, undefined)).toBe(1500);
});

test('RUNBOOK_POLL_* configure the polling; nonsense is refused naming the variable', () => {
  expect(pollingFromEnv({ RUNBOOK_POLL_INITIAL_MS: '100', RUNBOOK_POLL_WATCH_MS: '2000' })).toEqual({
    initialMs: 100,
    maxMs: 15_000,
    watchMs: 2000,
  });
  expect(() => pollingFromEnv({ RUNBOOK_POLL_MAX_MS: 'fast' })).toThrow(
    /RUNBOOK_POLL_MAX_MS must be a whole number of milliseconds, got "fast"/,
  );
});
