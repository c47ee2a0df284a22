import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { targetActivities } from '../activities/targets';
import { UsageError } from '../client/usage-error';
import { manualCommand } from '../client/commands/manual';
import { RECOVERY_STEPS } from '../common/recovery-steps';
import { RunbookConfig, type RunbookConfigFile } from '../common/environments';
import {
  formatManualRecovery,
  manualDisasterRecovery,
  ManualRecoveryError,
  shellQuote,
  type ManualRecoveryTarget,
} from '../common/manual-recovery';
import { DEFAULT_RUNBOOK_CONFIG } from '../lib/paths';
import { loadRunbookConfig } from '../lib/runbook-config';
import { herokuCli } from '../scripts/official-heroku-cli';
import { type Effect, TestSimulator } from './support/simulator';

const ALFA = 'csis-reconasia-alfa';
const BRAVO = 'csis-reconasia-bravo';
const BRAVO_DB = 'postgresql-shallow-90412';

/** A target resolved from an environments file exactly as the worker (and the command) resolves it. */
async function targetFrom(
  config: RunbookConfigFile | RunbookConfig,
  environment: string,
): Promise<ManualRecoveryTarget> {
  return targetActivities(RunbookConfig.parse(config), 'test config').resolveTarget({ environment });
}

const shipped = () => loadRunbookConfig(DEFAULT_RUNBOOK_CONFIG).config;
const commandsOf = (recovery: ReturnType<typeof manualDisasterRecovery>) =>
  recovery.steps.map((step) => [step.name, step.commands]);

describe('manualDisasterRecovery', () => {
  test("production from config/environments.json: the runbook's steps in order, as exact heroku commands", async () => {
    const recovery = manualDisasterRecovery(await targetFrom(shipped(), 'production'), { backup: 'b016' });
    expect(commandsOf(recovery)).toEqual([
      [
        'preflight',
        [
          `heroku ps -a ${ALFA}`,
          `heroku ps:scale -a ${ALFA}`,
          `heroku pg:backups:schedules -a ${ALFA}`,
          `heroku pg:backups:info b016 -a ${ALFA}`,
          `heroku config:get MAINTENANCE_MODE -a ${ALFA}`,
        ],
      ],
      ['maintenance-on', [`heroku config:set MAINTENANCE_MODE=True -a ${ALFA}`]],
      ['quiet', [`heroku ps:scale worker=0 scheduler=0 -a ${ALFA}`]],
      ['safety-backup', [`heroku pg:backups:capture DATABASE_URL -a ${ALFA}`]],
      ['restore', [`heroku pg:backups:restore b016 DATABASE_URL --app ${ALFA} --confirm ${ALFA}`]],
      ['schedule', [`heroku pg:backups:schedule DATABASE_URL --at '02:00 America/New_York' -a ${ALFA}`]],
      [
        'clear',
        [
          // One quoted argument each: `heroku run` sends it verbatim, and $REDISTOGO_URL is the dyno's, not yours.
          `heroku run --exit-code -a ${ALFA} -- 'python manage.py shell -c "from django.core.cache import cache; cache.clear()"'`,
          `heroku run --exit-code -a ${ALFA} -- 'rq empty --all --url "$REDISTOGO_URL"'`,
        ],
      ],
      ['index', [`heroku run --exit-code -a ${ALFA} -- python manage.py rebuild_index --noinput`]],
      ['scale-back', [`heroku ps:scale 'worker=<N>' 'scheduler=<N>' -a ${ALFA}`]],
      ['maintenance-off', [`heroku config:unset MAINTENANCE_MODE -a ${ALFA}`]],
      [
        'verify',
        [
          `heroku ps -a ${ALFA}`,
          `heroku pg:backups:schedules -a ${ALFA}`,
          `heroku config:get MAINTENANCE_MODE -a ${ALFA}`,
        ],
      ],
    ]);
    expect(recovery.steps.find((step) => step.name === 'scale-back')?.placeholders).toEqual(['<N>']);
    expect(recovery.steps.filter((step) => step.placeholders)).toHaveLength(1);
    expect(recovery.skipped.map((step) => [step.name, step.why])).toEqual([
      ['migrations', 'not asked (--migrate runs them)'],
    ]);
    expect(recovery).toMatchObject({ app: ALFA, environment: 'production', backup: 'b016', approvalRequired: true });
    // Each step is a step of the runbook, in the runbook's order.
    const order = RECOVERY_STEPS.map((step) => step.name);
    const positions = recovery.steps.map((step) => order.indexOf(step.name));
    expect(positions.every((position) => position >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  test('--migrate and --process fill in the migrations and the quantities to scale back to', async () => {
    const recovery = manualDisasterRecovery(await targetFrom(shipped(), 'production'), {
      backup: 'b015',
      migrate: true,
      processes: { worker: 2, scheduler: 1 },
    });
    const step = (name: string) => recovery.steps.find((s) => s.name === name)!;
    expect(step('migrations').commands).toEqual([
      `heroku run --exit-code -a ${ALFA} -- python manage.py migrate --noinput`,
    ]);
    expect(recovery.steps.map((s) => s.name).indexOf('migrations')).toBe(
      recovery.steps.map((s) => s.name).indexOf('schedule') + 1,
    );
    expect(step('scale-back').commands).toEqual([`heroku ps:scale worker=2 scheduler=1 -a ${ALFA}`]);
    expect(recovery.steps.some((s) => s.placeholders)).toBe(false);
    expect(step('restore').commands).toEqual([
      `heroku pg:backups:restore b015 DATABASE_URL --app ${ALFA} --confirm ${ALFA}`,
    ]);
  });

  test('staging: no safety backup by default, no approval required; --safety-backup adds one', async () => {
    const target = await targetFrom(shipped(), 'staging');
    const recovery = manualDisasterRecovery(target, { backup: 'b016', processes: { worker: 1 } });
    expect(recovery.steps.map((step) => step.name)).toEqual([
      'preflight',
      'maintenance-on',
      'quiet',
      'restore',
      'schedule',
      'clear',
      'index',
      'scale-back',
      'maintenance-off',
      'verify',
    ]);
    expect(recovery.approvalRequired).toBe(false);
    expect(recovery.skipped[0]).toEqual({
      name: 'safety-backup',
      title: 'Safety backup of the current database',
      why: 'off for staging (--safety-backup takes one)',
    });
    expect(recovery.steps.find((step) => step.name === 'restore')!.commands).toEqual([
      `heroku pg:backups:restore b016 DATABASE_URL --app ${BRAVO} --confirm ${BRAVO}`,
    ]);
    // Only worker was given: scheduler keeps its placeholder.
    expect(recovery.steps.find((step) => step.name === 'scale-back')!.commands).toEqual([
      `heroku ps:scale worker=1 'scheduler=<N>' -a ${BRAVO}`,
    ]);

    const withBackup = manualDisasterRecovery(target, { backup: 'b016', safetyBackup: true });
    expect(withBackup.steps.find((step) => step.name === 'safety-backup')!.commands).toEqual([
      `heroku pg:backups:capture DATABASE_URL -a ${BRAVO}`,
    ]);
    const production = manualDisasterRecovery(await targetFrom(shipped(), 'production'), {
      backup: 'b016',
      safetyBackup: false,
    });
    expect(production.steps.some((step) => step.name === 'safety-backup')).toBe(false);
    expect(production.skipped.find((step) => step.name === 'safety-backup')!.why).toBe('off (--no-safety-backup)');
  });

  test("platform strategy: Heroku's maintenance flag, read, set and cleared; no config var", async () => {
    const config: RunbookConfigFile = {
      environments: {
        production: { app: ALFA, maintenance: { strategy: 'platform' }, backups: { schedule: '2:00 EST' } },
      },
    };
    const recovery = manualDisasterRecovery(await targetFrom(config, 'production'), { backup: 'b016' });
    const step = (name: string) => recovery.steps.find((s) => s.name === name)!.commands;
    expect(step('preflight').slice(-1)).toEqual([`heroku maintenance -a ${ALFA}`]);
    expect(step('maintenance-on')).toEqual([`heroku maintenance:on -a ${ALFA}`]);
    expect(step('maintenance-off')).toEqual([`heroku maintenance:off -a ${ALFA}`]);
    expect(step('verify').slice(-1)).toEqual([`heroku maintenance -a ${ALFA}`]);
    expect(recovery.steps.flatMap((s) => s.commands).some((c) => c.includes('config:'))).toBe(false);
    // "2:00 EST" in the environments file is printed as the CLI's --at takes it.
    expect(step('schedule')).toEqual([
      `heroku pg:backups:schedule DATABASE_URL --at '02:00 America/New_York' -a ${ALFA}`,
    ]);
  });

  test('both strategies: the platform flag, then the config var, as the runbook switches them', async () => {
    const config: RunbookConfigFile = {
      environments: { production: { app: ALFA, maintenance: { strategy: 'both' } } },
    };
    const recovery = manualDisasterRecovery(await targetFrom(config, 'production'), { backup: 'b016' });
    const step = (name: string) => recovery.steps.find((s) => s.name === name)!.commands;
    expect(step('maintenance-on')).toEqual([
      `heroku maintenance:on -a ${ALFA}`,
      `heroku config:set MAINTENANCE_MODE=True -a ${ALFA}`,
    ]);
    expect(step('maintenance-off')).toEqual([
      `heroku maintenance:off -a ${ALFA}`,
      `heroku config:unset MAINTENANCE_MODE -a ${ALFA}`,
    ]);
    expect(step('verify').slice(-2)).toEqual([
      `heroku config:get MAINTENANCE_MODE -a ${ALFA}`,
      `heroku maintenance -a ${ALFA}`,
    ]);
  });

  test('an offValue is set rather than unset; values, commands and schedules are shell-quoted', async () => {
    const config: RunbookConfigFile = {
      environments: {
        production: {
          app: ALFA,
          maintenance: { configVar: 'SITE_MODE', onValue: "down for 'maintenance'", offValue: 'live' },
          backups: { schedule: null, database: 'HEROKU_POSTGRESQL_RED_URL' },
          disasterRecovery: {
            quietProcesses: ['worker'],
            clearCommands: [
              'python manage.py clear_cache',
              `python -c "from django.core.cache import cache; cache.clear()"`,
            ],
            indexCommand: 'python manage.py update_index --age=24',
          },
        },
      },
    };
    const recovery = manualDisasterRecovery(await targetFrom(config, 'production'), { backup: 'a011' });
    const step = (name: string) => recovery.steps.find((s) => s.name === name)!;
    expect(step('maintenance-on').commands).toEqual([
      `heroku config:set 'SITE_MODE=down for '\\''maintenance'\\''' -a ${ALFA}`,
    ]);
    expect(step('maintenance-off').commands).toEqual([`heroku config:set SITE_MODE=live -a ${ALFA}`]);
    expect(step('quiet').commands).toEqual([`heroku ps:scale worker=0 -a ${ALFA}`]);
    expect(step('restore').commands).toEqual([
      `heroku pg:backups:restore a011 HEROKU_POSTGRESQL_RED_URL --app ${ALFA} --confirm ${ALFA}`,
    ]);
    expect(step('clear').commands).toEqual([
      `heroku run --exit-code -a ${ALFA} -- python manage.py clear_cache`,
      // `heroku run` sends a single argument verbatim: the dyno runs exactly the configured command.
      `heroku run --exit-code -a ${ALFA} -- 'python -c "from django.core.cache import cache; cache.clear()"'`,
    ]);
    expect(step('index').commands).toEqual([
      `heroku run --exit-code -a ${ALFA} -- python manage.py update_index --age=24`,
    ]);
    // No schedule configured: the one step 1 recorded, if any, by hand.
    expect(step('schedule')).toMatchObject({
      commands: [`heroku pg:backups:schedule HEROKU_POSTGRESQL_RED_URL --at '<HH>:00 <TIMEZONE>' -a ${ALFA}`],
      placeholders: ['<HH>', '<TIMEZONE>'],
    });
  });

  test('latest: step 1 lists the backups and the commands carry <BACKUP>, since the safety backup would be newer', async () => {
    const recovery = manualDisasterRecovery(await targetFrom(shipped(), 'production'), {
      backup: 'latest',
      processes: { worker: 1, scheduler: 1 },
    });
    const step = (name: string) => recovery.steps.find((s) => s.name === name)!;
    expect(step('preflight').commands).toContain(`heroku pg:backups -a ${ALFA}`);
    expect(step('preflight').commands).toContain(`heroku pg:backups:info '<BACKUP>' -a ${ALFA}`);
    expect(step('preflight').note).toContain('(the safety backup in step 4) would become the newest');
    expect(step('restore')).toMatchObject({
      commands: [`heroku pg:backups:restore '<BACKUP>' DATABASE_URL --app ${ALFA} --confirm ${ALFA}`],
      placeholders: ['<BACKUP>'],
    });
  });

  test('bad options are refused', async () => {
    const target = await targetFrom(shipped(), 'production');
    expect(() => manualDisasterRecovery(target, { backup: 'yesterday' })).toThrow(ManualRecoveryError);
    expect(() => manualDisasterRecovery(target, { backup: 'b016', processes: { web: 1 } })).toThrow(
      '--process web: only the quieted process types are scaled back (worker, scheduler)',
    );
    expect(() => manualDisasterRecovery(target, { backup: 'b016', processes: { worker: -1 } })).toThrow(
      ManualRecoveryError,
    );
  });

  test('shellQuote leaves plain words alone and single-quotes the rest', () => {
    expect(shellQuote('worker=0')).toBe('worker=0');
    expect(shellQuote('02:00 America/New_York')).toBe(`'02:00 America/New_York'`);
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote('')).toBe(`''`);
    expect(shellQuote('$HOME;*')).toBe(`'$HOME;*'`);
  });

  test('formatManualRecovery: header, numbered steps, footer', async () => {
    const text = formatManualRecovery(
      manualDisasterRecovery(await targetFrom(shipped(), 'production'), { backup: 'b016' }),
    );
    const lines = text.split('\n');
    expect(lines[0]).toBe(
      `# Break-glass: disaster recovery of ${ALFA} (environment production) by hand, restoring b016.`,
    );
    expect(text).toContain('nothing has been run');
    expect(lines.filter((line) => /^# \d+\. /.test(line))).toEqual([
      '# 1. Record the current state (keep this output: later steps need it)',
      '# 2. Maintenance on',
      '# 3. Quiet background processes (scale to 0)',
      '# 4. Safety backup of the current database',
      '# 5. Restore b016',
      '# 6. Re-create the backup schedule',
      '# 7. Clear caches and queues from the old database',
      '# 8. Rebuild the search index',
      '# 9. Scale processes back',
      '# 10. Maintenance off',
      '# 11. Verify: schedule present, formation and maintenance as before',
    ]);
    expect(
      lines.every(
        (line) => line === '' || line.startsWith('# ') || line.startsWith('#    ') || line.startsWith('heroku '),
      ),
    ).toBe(true);
    expect(text).toContain('# Approval: policy still expects a second person to approve before step 2');
    expect(text).toContain('`runbook audit` cannot record manual steps');
  });
});

/** `runbook manual …` in-process, as cli.ts runs it (exitOverride everywhere), with its console output. */
async function manual(
  args: string[],
  env: Record<string, string> = { RUNBOOK_CONFIG: DEFAULT_RUNBOOK_CONFIG },
): Promise<{ stdout: string; error?: unknown }> {
  const command = manualCommand();
  const override = (c: Command): void => {
    c.exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
    c.commands.forEach(override);
  };
  override(command);
  const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
  Object.assign(process.env, env);
  const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    await command.parseAsync(args, { from: 'user' });
    return { stdout: log.mock.calls.map((call) => call.join(' ')).join('\n') };
  } catch (error) {
    return { stdout: '', error };
  } finally {
    log.mockRestore();
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

describe('runbook manual disaster-recovery', () => {
  test('prints the script for an environment from RUNBOOK_CONFIG, or JSON', async () => {
    const text = await manual(['disaster-recovery', '--env', 'production', '--backup', 'b016'], {
      RUNBOOK_CONFIG: DEFAULT_RUNBOOK_CONFIG,
    });
    expect(text.error).toBeUndefined();
    expect(text.stdout).toContain(`heroku pg:backups:restore b016 DATABASE_URL --app ${ALFA} --confirm ${ALFA}`);

    const json = await manual([
      'disaster-recovery',
      '--app',
      BRAVO,
      '--backup',
      'latest',
      '--process',
      'worker=1',
      '--process',
      'scheduler=0',
      '--migrate',
      '--json',
    ]);
    const parsed = JSON.parse(json.stdout);
    expect(parsed).toMatchObject({ app: BRAVO, environment: 'staging', backup: 'latest', approvalRequired: false });
    expect(parsed.steps.find((step: { name: string }) => step.name === 'scale-back').commands).toEqual([
      `heroku ps:scale worker=1 scheduler=0 -a ${BRAVO}`,
    ]);
    expect(parsed.steps.some((step: { name: string }) => step.name === 'migrations')).toBe(true);

    const noSafety = await manual([
      'disaster-recovery',
      '--env',
      'production',
      '--backup',
      'b016',
      '--no-safety-backup',
      '--json',
    ]);
    expect(JSON.parse(noSafety.stdout).steps.some((step: { name: string }) => step.name === 'safety-backup')).toBe(
      false,
    );
  });

  test('an unknown environment, a mismatched app or a bad --process is a usage error, naming what is known', async () => {
    const unknown = await manual(['disaster-recovery', '--env', 'prod', '--backup', 'b016']);
    expect(unknown.error).toBeInstanceOf(UsageError);
    expect((unknown.error as Error).message).toBe(
      'Unknown environment "prod". Environments in config/environments.json: production, staging.',
    );

    const mismatch = await manual(['disaster-recovery', '--env', 'staging', '--app', ALFA, '--backup', 'b016']);
    expect(mismatch.error).toBeInstanceOf(UsageError);
    expect((mismatch.error as Error).message).toContain(`Environment "staging" is app ${BRAVO}, not ${ALFA}`);

    const noTarget = await manual(['disaster-recovery', '--backup', 'b016']);
    expect(noTarget.error).toBeInstanceOf(UsageError);

    const web = await manual(['disaster-recovery', '--env', 'production', '--backup', 'b016', '--process', 'web=1']);
    expect(web.error).toBeInstanceOf(UsageError);

    const badProcess = await manual([
      'disaster-recovery',
      '--env',
      'production',
      '--backup',
      'b016',
      '--process',
      'worker',
    ]);
    expect(badProcess.error).toBeInstanceOf(CommanderError);
    const noBackup = await manual(['disaster-recovery', '--env', 'production']);
    expect(noBackup.error).toMatchObject({ code: 'commander.missingMandatoryOptionValue' });
  });
});

/**
 * The faithful test: the printed commands, run in order by the official `heroku` CLI 11.10 against the simulator,
 * do what the runbook does. The shell splits each line into words (so the quoting is tested too).
 */
describe('the printed commands, run by the official heroku CLI', () => {
  let sim: TestSimulator;
  let dir: string;
  let configFile: string;
  let clearCommands: string[];
  let stagingConfigFile: string;

  beforeAll(async () => {
    sim = await TestSimulator.start();
    dir = mkdtempSync(path.join(os.tmpdir(), 'manual-recovery-'));
    // Production as shipped. Its clear commands need quoting to reach the dyno intact ("…", $REDISTOGO_URL).
    configFile = DEFAULT_RUNBOOK_CONFIG;
    clearCommands = loadRunbookConfig(configFile).config.environments.production.disasterRecovery.clearCommands;
    // Staging switched both ways, with an explicit "off" value, and a safety backup.
    const config = JSON.parse(readFileSync(DEFAULT_RUNBOOK_CONFIG, 'utf8'));
    config.environments.staging.maintenance = {
      strategy: 'both',
      configVar: 'MAINTENANCE_MODE',
      onValue: 'True',
      offValue: 'False',
    };
    config.environments.staging.disasterRecovery = {
      ...config.environments.staging.disasterRecovery,
      safetyBackup: true,
    };
    stagingConfigFile = path.join(dir, 'environments-staging.json');
    writeFileSync(stagingConfigFile, JSON.stringify(config));
  });
  beforeEach(async () => {
    await sim.reset();
    await sim.control('PUT', 'clock', { speed: 600 });
  });
  afterAll(async () => {
    await sim?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const heroku = async (words: string[]) => {
    const result = await herokuCli(sim, words, { env: { NODE_EXTRA_CA_CERTS: sim.sim.caCertPath } });
    return { ...result, output: result.stdout + result.stderr };
  };

  /** The words a POSIX shell makes of a printed line. */
  const shellWords = (line: string): string[] =>
    execFileSync('bash', ['-c', `printf '%s\\0' ${line}`], { encoding: 'utf8' })
      .split('\0')
      .slice(0, -1);

  /** The printed script as numbered steps and their command lines. */
  const parseScript = (text: string) => {
    const steps: { title: string; commands: string[] }[] = [];
    for (const line of text.split('\n')) {
      const heading = /^# \d+\. (.*)$/.exec(line);
      if (heading) steps.push({ title: heading[1], commands: [] });
      else if (line !== '' && !line.startsWith('#')) steps[steps.length - 1].commands.push(line);
    }
    return steps;
  };

  const runStep = async (step: { title: string; commands: string[] }) => {
    const outputs: { stdout: string; output: string }[] = [];
    for (const line of step.commands) {
      expect(line).not.toMatch(/<[A-Z]+>/);
      const [program, ...words] = shellWords(line);
      expect(program).toBe('heroku');
      const result = await heroku(words);
      if (result.code !== 0) throw new Error(`${line} exited ${result.code}:\n${result.output}`);
      outputs.push(result);
    }
    return outputs;
  };

  const formation = async (app = ALFA) => {
    const { body } = await fetch(`${sim.url}/apps/${app}/formation`, {
      headers: { Accept: 'application/vnd.heroku+json; version=3', Authorization: `Bearer ${sim.token}` },
    }).then(async (response) => ({
      body: (await response.json()) as { type: string; quantity: number; size: string }[],
    }));
    return body
      .map(({ type, quantity, size }) => ({ type, quantity, size }))
      .sort((a, b) => a.type.localeCompare(b.type));
  };

  test('restore b016 on production: restored once, schedule back, formation as before, maintenance off', async () => {
    // The app as it stands before the disaster: two workers, and a daily schedule (which the restore drops).
    expect((await heroku(['ps:scale', 'worker=2', '-a', ALFA])).code).toBe(0);
    expect(
      (await heroku(['pg:backups:schedule', 'DATABASE_URL', '--at', '02:00 America/New_York', '-a', ALFA])).code,
    ).toBe(0);
    const formationBefore = await formation();
    const since = Math.max(0, ...(await sim.effects()).map((effect) => effect.seq));

    // Printed before anything is known: the scale-back quantities are placeholders.
    const env = { RUNBOOK_CONFIG: configFile };
    const first = await manual(['disaster-recovery', '--env', 'production', '--backup', 'b016', '--migrate'], env);
    expect(first.error).toBeUndefined();
    const script = parseScript(first.stdout);
    expect(script.find((step) => step.title === 'Scale processes back')!.commands).toEqual([
      `heroku ps:scale 'worker=<N>' 'scheduler=<N>' -a ${ALFA}`,
    ]);

    // Step 1 records the state; `heroku ps:scale` with no arguments gives the quantities to scale back to.
    const recorded = await runStep(script[0]);
    expect(recorded[script[0].commands.indexOf(`heroku pg:backups:info b016 -a ${ALFA}`)].stdout).toMatch(
      /Status:\s+Completed/,
    );
    const scaleLine = recorded[script[0].commands.indexOf(`heroku ps:scale -a ${ALFA}`)].stdout.trim();
    expect(scaleLine).toBe('scheduler=1:Standard-1X web=1:Standard-1X worker=2:Standard-1X');
    expect(recorded[script[0].commands.indexOf(`heroku pg:backups:schedules -a ${ALFA}`)].stdout).toContain(
      'DATABASE_URL: daily at 2:00 America/New_York',
    );
    const processes = scaleLine
      .split(' ')
      .map((word) => /^(worker|scheduler)=(\d+):/.exec(word))
      .filter((match) => match !== null)
      .flatMap((match) => ['--process', `${match[1]}=${match[2]}`]);
    expect(processes).toEqual(['--process', 'scheduler=1', '--process', 'worker=2']);

    // Printed again with the recorded quantities: the same steps, the scale-back filled in.
    const second = await manual(
      ['disaster-recovery', '--env', 'production', '--backup', 'b016', '--migrate', ...processes],
      env,
    );
    const filled = parseScript(second.stdout);
    expect(filled.map((step) => step.title)).toEqual(script.map((step) => step.title));
    expect(filled.find((step) => step.title === 'Scale processes back')!.commands).toEqual([
      `heroku ps:scale worker=2 scheduler=1 -a ${ALFA}`,
    ]);
    expect(filled.filter((step) => step.title !== 'Scale processes back')).toEqual(
      script.filter((step) => step.title !== 'Scale processes back'),
    );
    expect(filled.map((step) => step.title)).toEqual([
      'Record the current state (keep this output: later steps need it)',
      'Maintenance on',
      'Quiet background processes (scale to 0)',
      'Safety backup of the current database',
      'Restore b016',
      'Re-create the backup schedule',
      'Run migrations',
      'Clear caches and queues from the old database',
      'Rebuild the search index',
      'Scale processes back',
      'Maintenance off',
      'Verify: schedule present, formation and maintenance as before',
    ]);

    const outputs: Record<string, { stdout: string; output: string }[]> = {};
    for (const step of filled.slice(1)) outputs[step.title] = await runStep(step);

    // The database holds b016, restored exactly once, after one safety backup of what was there.
    const databases = await sim.control<
      Array<{ app: string; attachments: string[]; live_backup: string | null; content: unknown; schedule: unknown }>
    >('GET', 'databases');
    const database = databases.find((db) => db.app === ALFA && db.attachments.includes('DATABASE'))!;
    const state = await sim.control<{
      apps: Array<{
        name: string;
        transfers: Array<{ num: number; content: unknown }>;
        config_vars: Record<string, string>;
      }>;
    }>('GET', 'state');
    const alfa = state.apps.find((app) => app.name === ALFA)!;
    expect(database.live_backup).toBe('b016');
    expect(database.content).toEqual(alfa.transfers.find((transfer) => transfer.num === 16)!.content);
    // The schedule the restore dropped is back.
    expect(database.schedule).toMatchObject({ name: 'DATABASE_URL', hour: 2, timezone: 'America/New_York' });
    // The formation is as before; MAINTENANCE_MODE is unset.
    expect(await formation()).toEqual(formationBefore);
    expect(alfa.config_vars).not.toHaveProperty('MAINTENANCE_MODE');

    const effects = (await sim.effects()).filter((effect) => effect.seq > since);
    const of = (kind: string) => effects.filter((effect) => effect.kind === kind);
    expect(of('restore')).toEqual([expect.objectContaining({ app: ALFA, backup: 'b016' })]);
    expect(of('backup')).toEqual([expect.objectContaining({ app: ALFA, name: 'b017' })]);
    expect(of('schedule-dropped')).toHaveLength(1);
    expect(of('schedule-set')).toHaveLength(1);
    // The dynos ran exactly the configured commands, in order (the CLI appends its exit-status echo).
    const suffix = ' ; echo "\uFFFF heroku-command-exit-status: $?"';
    expect(of('dyno-create').map((effect: Effect) => effect.command)).toEqual(
      ['python manage.py migrate --noinput', ...clearCommands, 'python manage.py rebuild_index --noinput'].map(
        (command) => command + suffix,
      ),
    );
    expect(of('dyno-exit').map((effect: Effect) => effect.commandStatus)).toEqual([
      0,
      ...clearCommands.map(() => 0),
      0,
    ]);
    // Maintenance went on then off (the config var: a release each), and the quiet processes down then back.
    expect(of('config_vars').map((effect: Effect) => [effect.set, effect.removed])).toEqual([
      [{ MAINTENANCE_MODE: 'True' }, []],
      [{}, ['MAINTENANCE_MODE']],
    ]);
    expect(
      of('formation').map((effect: Effect) => [effect.type, (effect.after as { quantity: number }).quantity]),
    ).toEqual([
      ['worker', 0],
      ['scheduler', 0],
      ['worker', 2],
      ['scheduler', 1],
    ]);

    // The verify step shows it too.
    const verify = outputs['Verify: schedule present, formation and maintenance as before'];
    expect(verify[1].stdout).toContain('DATABASE_URL: daily at 2:00 America/New_York');
    expect(verify[2].stdout.trim()).toBe('');
  }, 240_000);

  test('latest on staging, both maintenance switches and an offValue: placeholders filled in from step 1', async () => {
    const env = { RUNBOOK_CONFIG: stagingConfigFile };
    // The app wrote since a011 (staging's database holds a011 as seeded): the safety backup differs from a011.
    await sim.control('POST', `databases/${BRAVO_DB}/writes`, {});
    const formationBefore = await formation(BRAVO);
    const since = Math.max(0, ...(await sim.effects()).map((effect) => effect.seq));
    const printed = await manual(['disaster-recovery', '--env', 'staging', '--backup', 'latest'], env);
    expect(printed.error).toBeUndefined();
    const script = parseScript(printed.stdout);
    expect(script.map((step) => step.title)).toEqual([
      'Record the current state (keep this output: later steps need it)',
      'Maintenance on',
      'Quiet background processes (scale to 0)',
      'Safety backup of the current database',
      'Restore the backup chosen in step 1',
      'Re-create the backup schedule',
      'Clear caches and queues from the old database',
      'Rebuild the search index',
      'Scale processes back',
      'Maintenance off',
      'Verify: schedule present, formation and maintenance as before',
    ]);

    // Step 1, up to the line that needs the backup's name: pg:backups says which is the newest good one.
    const listing = script[0].commands.indexOf(`heroku pg:backups -a ${BRAVO}`);
    const recorded = await runStep({ title: script[0].title, commands: script[0].commands.slice(0, listing + 1) });
    const newest = recorded[listing].stdout
      .split('\n')
      .map((line) => /^\s*([ab]\d{3})\s.*Completed/.exec(line)?.[1])
      .find((name) => name !== undefined);
    expect(newest).toBe('a011');
    const quantities = Object.fromEntries(
      recorded[script[0].commands.indexOf(`heroku ps:scale -a ${BRAVO}`)].stdout
        .trim()
        .split(' ')
        .map((word) => /^(\w+)=(\d+):/.exec(word)!)
        .map((match) => [match[1], match[2]]),
    );
    // What an operator does with the printed script: replace each placeholder, keeping the quotes around it.
    const fill = (line: string) =>
      line
        .replace(/<BACKUP>/g, newest!)
        .replace(/'(worker|scheduler)=<N>'/g, (_, type: string) => `'${type}=${quantities[type]}'`);
    const filled = script.map((step) => ({ title: step.title, commands: step.commands.map(fill) }));
    expect(filled[0].commands.slice(listing + 1)).toEqual([
      `heroku pg:backups:info 'a011' -a ${BRAVO}`,
      `heroku config:get MAINTENANCE_MODE -a ${BRAVO}`,
      `heroku maintenance -a ${BRAVO}`,
    ]);
    const rest = await runStep({ title: filled[0].title, commands: filled[0].commands.slice(listing + 1) });
    expect(rest[0].stdout).toMatch(/Status:\s+Completed/);
    expect(rest[2].stdout.trim()).toBe('off');

    const outputs: Record<string, { stdout: string; output: string }[]> = {};
    for (const step of filled.slice(1)) outputs[step.title] = await runStep(step);

    // a011 is live, not the safety backup taken in step 4 (which became the newest).
    const databases = await sim.control<
      Array<{ app: string; attachments: string[]; live_backup: string | null; content: unknown; schedule: unknown }>
    >('GET', 'databases');
    const database = databases.find((db) => db.app === BRAVO && db.attachments.includes('DATABASE'))!;
    const state = await sim.control<{
      apps: Array<{
        name: string;
        maintenance: boolean;
        transfers: Array<{ num: number; content: unknown }>;
        config_vars: Record<string, string>;
      }>;
    }>('GET', 'state');
    const bravo = state.apps.find((app) => app.name === BRAVO)!;
    expect(database.live_backup).toBe('a011');
    expect(database.content).toEqual(bravo.transfers.find((transfer) => transfer.num === 11)!.content);
    expect(database.schedule).toMatchObject({ name: 'DATABASE_URL', hour: 2, timezone: 'America/New_York' });
    expect(await formation(BRAVO)).toEqual(formationBefore);
    expect(bravo.config_vars.MAINTENANCE_MODE).toBe('False');
    expect(bravo.maintenance).toBe(false);

    const effects = (await sim.effects()).filter((effect) => effect.seq > since);
    const of = (kind: string) => effects.filter((effect) => effect.kind === kind);
    expect(of('backup')).toEqual([expect.objectContaining({ app: BRAVO, name: 'b012' })]);
    expect(of('restore')).toEqual([expect.objectContaining({ app: BRAVO, backup: 'a011' })]);
    expect(of('maintenance').map((effect: Effect) => effect.to)).toEqual([true, false]);
    expect(of('config_vars').map((effect: Effect) => effect.set)).toEqual([
      { MAINTENANCE_MODE: 'True' },
      { MAINTENANCE_MODE: 'False' },
    ]);
    const verify = outputs['Verify: schedule present, formation and maintenance as before'];
    expect(verify.map((result) => result.stdout.trim()).slice(-2)).toEqual(['False', 'off']);
  }, 240_000);
});
