import { simulatorCommand } from '../../simulator/cli';

afterEach(() => {
  jest.restoreAllMocks();
});

async function waitFor<T>(probe: () => T | undefined): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('timed out');
}

it('starts the simulator, prints how to reach it and stops on SIGTERM', async () => {
  const lines: string[] = [];
  jest.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));

  await simulatorCommand().parseAsync(['--port', '0', '--token', 'cli-token', '--rate-limit-capacity', '3'], {
    from: 'user',
  });

  expect(lines).toHaveLength(1);
  const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(lines[0])?.[1];
  expect(url).toBeDefined();
  expect(lines[0]).toContain(`HEROKU_API_URL=${url} HEROKU_DATA_API_URL=${url} HEROKU_API_KEY=cli-token`);

  const response = await fetch(`${url}/account`, {
    headers: { Accept: 'application/vnd.heroku+json; version=3', Authorization: 'Bearer cli-token' },
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('ratelimit-remaining')).toBe('2');

  process.emit('SIGTERM');
  await waitFor(() => lines.find((line) => line === 'Heroku simulator stopped'));
  expect(process.listenerCount('SIGINT')).toBe(0);
  await expect(fetch(`${url}/account`)).rejects.toThrow();
});

it('rejects a non-numeric port', async () => {
  const command = simulatorCommand()
    .exitOverride()
    .configureOutput({ writeErr: () => undefined });
  await expect(command.parseAsync(['--port', 'abc'], { from: 'user' })).rejects.toThrow(/--port/);
});
