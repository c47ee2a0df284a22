import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_SIMULATOR_TOKEN, SEED_PEOPLE, TEAM_NAME, startSimulator } from './index';

function integer(min: number) {
  return (value: string): number => {
    const number = Number(value);
    if (!Number.isInteger(number) || number < min) throw new InvalidArgumentError(`expected an integer >= ${min}`);
    return number;
  };
}

function nonNegativeNumber(value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0) throw new InvalidArgumentError('expected a number >= 0');
  return number;
}

function positiveNumber(value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new InvalidArgumentError('expected a number > 0');
  return number;
}

interface SimulatorCliOptions {
  port: number;
  host: string;
  state?: string;
  token?: string;
  rateLimitCapacity?: number;
  rateLimitRefillPerMinute?: number;
  speed?: number;
}

/** `runbook simulator`: runs the Heroku API simulator in the foreground until SIGINT/SIGTERM. */
export function simulatorCommand(): Command {
  return new Command('simulator')
    .description('Run the local Heroku Platform API simulator')
    .option('--port <n>', 'port to listen on (0 picks a free port)', integer(0), 5555)
    .option('--host <host>', 'interface to bind', '127.0.0.1')
    .option('--state <file>', 'persist the simulated Heroku state in this JSON file')
    .option(
      '--token <token>',
      `accepted API token (default: ${DEFAULT_SIMULATOR_TOKEN}; $HEROKU_API_KEY is never used; ` +
        'a token given here is not printed)',
    )
    .option('--rate-limit-capacity <n>', 'API rate-limit bucket size (default 4500)', integer(0))
    .option('--rate-limit-refill-per-minute <n>', 'API rate-limit refill per minute (default 75)', nonNegativeNumber)
    .option(
      '--speed <factor>',
      'run simulated durations this many times faster (default 1; 60: a 10-minute restore takes 10 s)',
      positiveNumber,
    )
    .action(async (options: SimulatorCliOptions) => {
      const simulator = await startSimulator({
        host: options.host,
        port: options.port,
        token: options.token,
        statePath: options.state,
        rateLimit: { capacity: options.rateLimitCapacity, refillPerMinute: options.rateLimitRefillPerMinute },
        speed: options.speed,
      });
      // Only the public default token is shown: one given with --token may be someone's secret.
      const isDefault = simulator.token === DEFAULT_SIMULATOR_TOKEN;
      const token = isDefault ? `token ${simulator.token}` : 'the token given with --token';
      const apiKey = isDefault ? simulator.token : '<the token given with --token>';
      console.log(
        `Heroku simulator listening on ${simulator.url} (${token}); point clients at it with ` +
          `HEROKU_API_URL=${simulator.url} HEROKU_DATA_API_URL=${simulator.url} HEROKU_API_KEY=${apiKey}` +
          `; for \`heroku run\`, trust the rendezvous certificate with NODE_EXTRA_CA_CERTS=${simulator.caCertPath}`,
      );
      // The people's tokens are the seed's public fakes, so they can be shown (a state file may have revoked them).
      const people = Object.values(SEED_PEOPLE).map(({ email, role, token }) => `${email} (${role}, token ${token})`);
      console.log(`People of team ${TEAM_NAME}: ${people.join(', ')}`);

      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        simulator.close().then(
          () => console.log('Heroku simulator stopped'),
          (error: unknown) => {
            console.error('Heroku simulator failed to stop cleanly:', error);
            process.exitCode = 1;
          },
        );
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
