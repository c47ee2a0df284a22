import { DEFAULT_SIMULATOR_TOKEN } from '../../simulator';
import { simulatorCommand } from '../../simulator/cli';

/** Looks like a real Heroku API token; the simulator must neither accept nor print one from the environment. */
const ENV_TOKEN = 'HRKU-AAx0rL7qPzX3mWv9bKc2NdT5hYe8uJf4sGi6oQa1';
const savedApiKey = process.env.HEROKU_API_KEY;

afterEach(() => {
  jest.restoreAllMocks();
  if (savedApiKey === undefined) delete process.env.HEROKU_API_KEY;
  else process.env.HEROKU_API_KEY = savedApiKey;
});

async function waitFor<T>(probe: () => T | undefined): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('timed out');
}

/** Runs `runbook simulator <args>` in-process, capturing everything it prints. */
async function startCommand(args: string[]) {
  const lines: string[] = [];
  const capture = (...parts: unknown[]) => void lines.push(parts.map(String).join(' '));
  jest.spyOn(console, 'log').mockImplementation(capture);
  jest.spyOn(console, 'error').mockImplementation(capture);
  jest.spyOn(console, 'warn').mockImplementation(capture);
  await simulatorCommand().parseAsync(['--port', '0', ...args], { from: 'user' });
  const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(lines[0] ?? '')?.[1];
  expect(url).toBeDefined();
  return {
    lines,
    url: url!,
    status: async (token: string) =>
      (
        await fetch(`${url}/account`, {
          headers: { Accept: 'application/vnd.heroku+json; version=3', Authorization: `Bearer ${token}` },
        })
      ).status,
    stop: async () => {
      process.emit('SIGTERM');
      await waitFor(() => lines.find((line) => line === 'Heroku simulator stopped'));
    },
  };
}

it('starts the simulator, prints how to reach it and stops on SIGTERM', async () => {
  const sim = await startCommand(['--rate-limit-capacity', '3']);

  expect(sim.lines).toHaveLength(2);
  expect(sim.lines[0]).toContain(`(token ${DEFAULT_SIMULATOR_TOKEN})`);
  expect(sim.lines[0]).toContain(
    `HEROKU_API_URL=${sim.url} HEROKU_DATA_API_URL=${sim.url} HEROKU_API_KEY=${DEFAULT_SIMULATOR_TOKEN}`,
  );
  expect(sim.lines[1]).toBe(
    'People of team csis-ilab: alice@csis.example (member, token alice-token), ' +
      'bob@csis.example (admin, token bob-token), carol@csis.example (member, token carol-token)',
  );

  const response = await fetch(`${sim.url}/account`, {
    headers: { Accept: 'application/vnd.heroku+json; version=3', Authorization: `Bearer ${DEFAULT_SIMULATOR_TOKEN}` },
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('ratelimit-remaining')).toBe('2');

  await sim.stop();
  expect(process.listenerCount('SIGINT')).toBe(0);
  await expect(fetch(`${sim.url}/account`)).rejects.toThrow();
});

it('never takes or prints HEROKU_API_KEY: it accepts only the public default token', async () => {
  process.env.HEROKU_API_KEY = ENV_TOKEN;
  const sim = await startCommand([]);
  try {
    expect(await sim.status(DEFAULT_SIMULATOR_TOKEN)).toBe(200);
    expect(await sim.status(ENV_TOKEN)).toBe(401);
  } finally {
    await sim.stop();
  }
  const output = sim.lines.join('\n');
  expect(output).not.toContain(ENV_TOKEN);
  expect(output).not.toContain(ENV_TOKEN.slice(5));
});

it('accepts the token given with --token but does not print it', async () => {
  process.env.HEROKU_API_KEY = ENV_TOKEN;
  const sim = await startCommand(['--token', 's3cret-given']);
  try {
    expect(await sim.status('s3cret-given')).toBe(200);
    expect(await sim.status(DEFAULT_SIMULATOR_TOKEN)).toBe(401);
    expect(await sim.status(ENV_TOKEN)).toBe(401);
  } finally {
    await sim.stop();
  }
  const output = sim.lines.join('\n');
  expect(output).toContain('the token given with --token');
  expect(output).not.toContain('s3cret-given');
  expect(output).not.toContain(ENV_TOKEN);
});

it('says in --help that HEROKU_API_KEY is never used', () => {
  // Commander wraps the help to the terminal's width.
  const help = simulatorCommand().helpInformation().replace(/\s+/g, ' ');
  expect(help).toContain(`default: ${DEFAULT_SIMULATOR_TOKEN}; $HEROKU_API_KEY is never used`);
  expect(help).toContain('a token given here is not printed');
});

it('rejects a non-numeric port', async () => {
  const command = simulatorCommand()
    .exitOverride()
    .configureOutput({ writeErr: () => undefined });
  await expect(command.parseAsync(['--port', 'abc'], { from: 'user' })).rejects.toThrow(/--port/);
});
