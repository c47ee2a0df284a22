import vm from 'node:vm';
import { ApplicationFailure } from '@temporalio/common';
import { createLogger, temporalLogger } from '../worker/logger';

/** The worker's logger writing JSON lines into an array, behind the adapter the Temporal SDK logs through. */
function capture(): { log: ReturnType<typeof temporalLogger>; lines: () => Record<string, unknown>[] } {
  const written: string[] = [];
  const logger = createLogger('trace', { write: (line: string) => void written.push(line) });
  return { log: temporalLogger(logger), lines: () => written.map((line) => JSON.parse(line)) };
}

test('an Error under any key of the metadata is logged with its message, name, stack and cause chain', () => {
  const { log, lines } = capture();
  const root = new TypeError('socket hang up');
  log.warn('Activity failed', { error: new Error('boom', { cause: root }), durationMs: 12 });

  const [line] = lines();
  expect(line).toMatchObject({ level: 40, msg: 'Activity failed', durationMs: 12 });
  expect(line.error).toMatchObject({
    name: 'Error',
    message: 'boom',
    stack: expect.stringContaining('Error: boom'),
    cause: {
      name: 'TypeError',
      message: 'socket hang up',
      stack: expect.stringContaining('TypeError: socket hang up'),
    },
  });
});

test('an ApplicationFailure keeps its type and nonRetryable, also under `err` and `failure`; other fields pass as they are', () => {
  const { log, lines } = capture();
  const failure = ApplicationFailure.create({
    type: 'HerokuUnauthorized',
    message: "Heroku rejected the worker's API token",
    nonRetryable: true,
    details: [{ status: 401 }],
    cause: new Error('401 Unauthorized'),
  });
  const notAnError = { message: 'just an object', count: 2 };
  log.error('Workflow failed', { failure, err: failure, context: notAnError, workflowId: 'wf-1' });

  const [line] = lines();
  for (const key of ['failure', 'err']) {
    expect(line[key]).toMatchObject({
      name: 'ApplicationFailure',
      type: 'HerokuUnauthorized',
      nonRetryable: true,
      message: "Heroku rejected the worker's API token",
      cause: { name: 'Error', message: '401 Unauthorized' },
    });
  }
  expect(line.context).toEqual(notAnError);
  expect(line.workflowId).toBe('wf-1');
});

test("an Error from another realm (a workflow's sandbox) is serialized too, and a circular cause chain ends", () => {
  const { log, lines } = capture();
  const sandboxed = vm.runInNewContext('new RangeError("from the sandbox")') as Error;
  const a = new Error('a');
  const b = new Error('b', { cause: a });
  a.cause = b;
  log.info('two errors', { error: sandboxed, loop: a });

  const [line] = lines();
  expect(line.error).toMatchObject({ name: 'RangeError', message: 'from the sandbox' });
  expect(line.loop).toMatchObject({ message: 'a', cause: { message: 'b', cause: '[circular cause]' } });
});
