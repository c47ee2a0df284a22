// No Docker engine runs on our machines, so the compose stack is checked here against the code it runs:
// every command and flag it uses must exist, and its Temporal set-up must match scripts/temporal.sh.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { buildProgram } from '../client/cli';
import { DEFAULT_SIMULATOR_TOKEN } from '../simulator';
import { simulatorCommand } from '../simulator/cli';
import { workerCommand } from '../worker/main';
import { ALL_SEARCH_ATTRIBUTES } from '../common/search-attributes';
import { PACKAGE_ROOT } from '../lib/paths';
import { temporalConnectionFromEnv } from '../lib/temporal-connection';

interface Service {
  build?: string;
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string>;
  /** Short syntax (`[host_ip:]published:target[/protocol]`) or long syntax. */
  ports?: Array<string | number | { target: number; published?: string | number; host_ip?: string }>;
  depends_on?: Record<string, unknown>;
}

const composeText = readFileSync(path.join(PACKAGE_ROOT, 'docker-compose.yml'), 'utf8');
const compose = parse(composeText, { merge: true }) as { services: Record<string, Service> };
/** The value of `--flag value` or `--flag=value` in a command, or undefined. */
function flagValue(command: readonly string[], flag: string): string | undefined {
  const joined = command.find((arg) => arg.startsWith(`${flag}=`));
  if (joined) return joined.slice(flag.length + 1);
  const index = command.indexOf(flag);
  return index === -1 ? undefined : command[index + 1];
}

const dockerfile = readFileSync(path.join(PACKAGE_ROOT, 'Dockerfile'), 'utf8');
const temporalSh = readFileSync(path.join(PACKAGE_ROOT, 'scripts', 'temporal.sh'), 'utf8');

test('the stack has Temporal, Postgres (audit trail), the simulator, a worker and the CLI', () => {
  expect(Object.keys(compose.services).sort()).toEqual(['cli', 'postgres', 'simulator', 'temporal', 'worker']);
});

test('every runbook command and flag the stack uses exists in the CLI', () => {
  const program = buildProgram();
  // The worker and the simulator are programs of their own, loaded by bin/runbook.js only when they run.
  const programs: Record<string, () => ReturnType<typeof buildProgram>> = {
    worker: workerCommand,
    simulator: simulatorCommand,
  };
  for (const [name, service] of Object.entries(compose.services)) {
    // The temporal service runs the Temporal CLI; postgres is a stock image.
    if (service.entrypoint || !service.command || !service.build) continue;
    const [commandName, ...args] = service.command;
    const command = programs[commandName]?.() ?? program.commands.find((candidate) => candidate.name() === commandName);
    expect({ service: name, command: command?.name() }).toEqual({ service: name, command: commandName });
    const flags = args.filter((arg) => arg.startsWith('--')).map((arg) => arg.split('=')[0]);
    const known = command!.options.map((option) => option.long);
    for (const flag of flags)
      expect({ service: name, flag, known: known.includes(flag) }).toEqual({ service: name, flag, known: true });
  }
});

test('the Temporal service registers the same search attributes as scripts/temporal.sh and the code', () => {
  const fromCompose = compose.services.temporal
    .command!.filter((arg) => arg.startsWith('--search-attribute='))
    .map((arg) => arg.replace('--search-attribute=', '').split('=')[0]);
  const fromScript = /SEARCH_ATTRIBUTES=\(([^)]*)\)/.exec(temporalSh)![1].trim().split(/\s+/);
  const fromCode = ALL_SEARCH_ATTRIBUTES.map((key) => key.name);
  expect(fromCompose).toEqual(fromCode);
  expect(fromScript).toEqual(fromCode);
});

test('the image builds the same Temporal CLI version as scripts/temporal.sh', () => {
  const scriptVersion = /TEMPORAL_CLI_VERSION="([^"]+)"/.exec(temporalSh)![1];
  expect(dockerfile).toContain(`go install github.com/temporalio/cli/cmd/temporal@${scriptVersion}`);
});

test('the worker is wired to Temporal and Heroku the way the worker reads its environment', () => {
  const { worker, simulator, temporal } = compose.services;
  const env = worker.environment!;
  expect(env.TEMPORAL_ADDRESS).toBe('temporal:7233');
  expect(temporal.command).toContain('--port=7233');
  const simulatorPort = flagValue(simulator.command!, '--port');
  expect(env.HEROKU_API_URL).toBe(`http://simulator:${simulatorPort}`);
  expect(env.HEROKU_API_KEY).toBeTruthy();
  expect(existsSync(path.join(PACKAGE_ROOT, env.RUNBOOK_CONFIG.replace(/^\/app\//, '')))).toBe(true);
  expect(Object.keys(worker.depends_on!)).toEqual(expect.arrayContaining(['temporal', 'simulator', 'postgres']));
});

test("the worker and the CLI reach the stack's Temporal as the code reads their environment: plain gRPC", () => {
  const { worker, cli } = compose.services;
  for (const [name, service] of Object.entries({ worker, cli })) {
    const settings = temporalConnectionFromEnv(service.environment);
    expect({ name, address: settings.address, namespace: settings.namespace, tls: settings.tls }).toEqual({
      name,
      address: 'temporal:7233',
      namespace: 'default',
      tls: undefined,
    });
    expect({ name, apiKey: settings.apiKey }).toEqual({ name, apiKey: undefined });
  }
});

test("the worker and the CLI share one Postgres audit trail, on the postgres service's database", () => {
  const { worker, cli, postgres } = compose.services;
  const url = new URL(worker.environment!.RUNBOOK_AUDIT_DB);
  const reader = new URL(cli.environment!.RUNBOOK_AUDIT_DB);
  // The same database, the CLI as the read-only role the init script makes.
  expect([reader.host, reader.pathname, reader.username]).toEqual([url.host, url.pathname, 'runbook_reader']);
  expect((postgres as { volumes?: string[] }).volumes).toContain(
    './config/postgres/reader-role.sql:/docker-entrypoint-initdb.d/10-reader-role.sql:ro',
  );
  expect(url.protocol).toBe('postgres:');
  expect(url.hostname).toBe('postgres');
  const pgEnv = postgres.environment!;
  expect([url.username, url.password, url.pathname.slice(1)]).toEqual([
    pgEnv.POSTGRES_USER,
    pgEnv.POSTGRES_PASSWORD,
    pgEnv.POSTGRES_DB,
  ]);
});

test('the worker holds the private sealing keys; the CLI only the public key', () => {
  const { worker, cli, simulator } = compose.services;
  expect(worker.environment).toHaveProperty('RUNBOOK_SEAL_KEYS');
  expect(worker.environment).not.toHaveProperty('RUNBOOK_SEAL_PUBLIC_KEY');
  expect(cli.environment).toHaveProperty('RUNBOOK_SEAL_PUBLIC_KEY');
  expect(cli.environment).not.toHaveProperty('RUNBOOK_SEAL_KEYS');
  expect(simulator.environment).toBeUndefined();
  // Taken from the shell, never written down.
  expect(composeText).not.toMatch(/rbsk1_/);
});

test('the worker holds the audit signing key, on a volume of its own; the CLI only the public keys', () => {
  const { worker, cli } = compose.services;
  expect(worker.environment).toHaveProperty('RUNBOOK_AUDIT_SIGNING_KEY');
  expect((worker as { volumes?: string[] }).volumes).toContain('worker-keys:/keys');
  expect(worker.environment!.RUNBOOK_AUDIT_SIGNING_KEY_FILE).toMatch(/^\/keys\//);
  expect(cli.environment).toHaveProperty('RUNBOOK_AUDIT_PUBLIC_KEYS');
  expect(cli.environment).not.toHaveProperty('RUNBOOK_AUDIT_SIGNING_KEY');
  expect(cli.environment).not.toHaveProperty('RUNBOOK_AUDIT_SIGNING_KEY_FILE');
  expect(composeText).not.toMatch(/rbask1_/);
});

test("the user's HEROKU_API_KEY is never interpolated into the stack", () => {
  // Not in a value, not in a comment: a real token must not reach the simulator, and the worker's is written down.
  expect(composeText).not.toMatch(/\$\{?HEROKU_API_KEY/);
});

test("the worker's token is the one the simulator accepts, and the simulator is given no HEROKU_API_KEY", () => {
  const { worker, simulator } = compose.services;
  const accepted = flagValue(simulator.command!, '--token') ?? DEFAULT_SIMULATOR_TOKEN;
  expect(worker.environment!.HEROKU_API_KEY).toBe(accepted);
  expect(simulator.environment?.HEROKU_API_KEY).toBeUndefined();
});

test('every published port of every service is bound to 127.0.0.1 only', () => {
  const published = Object.entries(compose.services).flatMap(([name, service]) =>
    (service.ports ?? []).map((port) => ({ service: name, port })),
  );
  expect(published.length).toBeGreaterThan(0);
  for (const { service, port } of published) {
    const hostIp =
      typeof port === 'object'
        ? port.host_ip
        : // `host_ip:published:target`; `published:target` and a bare `target` bind every interface.
          /^(\d{1,3}(?:\.\d{1,3}){3}|\[[^\]]*\]):[^:]+:[^:]+$/.exec(String(port))?.[1];
    expect({ service, port, hostIp }).toEqual({ service, port, hostIp: '127.0.0.1' });
  }
});
