import { existsSync, readFileSync } from 'node:fs';
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

it('`runbook simulator` prints where the rendezvous certificate is, for NODE_EXTRA_CA_CERTS', async () => {
  const lines: string[] = [];
  jest.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
  await simulatorCommand().parseAsync(['--port', '0'], { from: 'user' });

  const url = /listening on (http:\/\/\S+) /.exec(lines[0])?.[1];
  const certPath = /NODE_EXTRA_CA_CERTS=(\S+)$/.exec(lines[0])?.[1];
  expect(certPath).toBeDefined();
  const pem = readFileSync(certPath!, 'utf8');
  expect(pem).toMatch(/^-----BEGIN CERTIFICATE-----/);
  expect(await (await fetch(`${url}/__simulator/tls`)).json()).toEqual({ certPath, pem });

  process.emit('SIGTERM');
  await waitFor(() => lines.find((line) => line === 'Heroku simulator stopped'));
  expect(existsSync(certPath!)).toBe(false);
});
