/**
 * Polls `read` until `ok` holds, for at most `timeoutMs`; fails saying what it waited for and what it last saw.
 * A read that throws (a query before the worker answers, say) counts as "not yet".
 *
 * Every poll is registered until it ends, and `stopPolling()` (called by RunbookHarness.stop and
 * connectTestServer().close before they close anything) stops them all and waits for them: a poll that lost a
 * Promise.race, or outlived its test, must not go on calling a Temporal client that is being closed — its retried
 * call would then fail in whatever test runs next in this process.
 */
const polls = new Set<{ stop: () => void; done: Promise<unknown> }>();

export async function until<T>(
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  let stopped = false;
  let wake: () => void = () => undefined;
  const poll = {
    stop: () => {
      stopped = true;
      wake();
    },
    done: Promise.resolve() as Promise<unknown>,
  };
  const loop = (async () => {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
      if (stopped) throw new Error(`stopped waiting for ${what}: the test is over`);
      try {
        const value = await read();
        if (ok(value)) return value;
        last = value;
      } catch (err) {
        last = { notYet: (err as Error).message };
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last)}`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 200);
      });
    }
  })();
  poll.done = loop.catch(() => undefined);
  polls.add(poll);
  try {
    return await loop;
  } finally {
    polls.delete(poll);
  }
}

/** Stops every poll still running and waits until each has returned (its last read included). */
export async function stopPolling(): Promise<void> {
  const running = [...polls];
  for (const poll of running) poll.stop();
  await Promise.all(running.map((poll) => poll.done));
}
