import { Command, InvalidArgumentError } from 'commander';
import { UsageError } from '../usage-error';

interface DisasterRecoveryFlags {
  env?: string;
  app?: string;
  backup: string;
  safetyBackup?: boolean;
  migrate?: boolean;
  process?: Record<string, number>;
  json?: boolean;
}

/** `--process worker=1` (repeatable): a quantity to scale a quieted process type back to. */
function addProcess(value: string, previous: Record<string, number> = {}): Record<string, number> {
  const match = /^([a-z][a-z0-9_-]*)=(\d{1,3})$/.exec(value);
  if (!match) throw new InvalidArgumentError(`expected type=quantity, e.g. worker=1; got "${value}"`);
  return { ...previous, [match[1]]: Number(match[2]) };
}

/**
 * `runbook manual disaster-recovery`: the disaster-recovery runbook's steps as official `heroku` CLI commands, for
 * when Temporal is down. Reads the environments file the way the worker does; talks to nothing, runs nothing.
 */
export function manualCommand(): Command {
  const manual = new Command('manual')
    .description('break-glass: print the heroku CLI commands that do a runbook by hand, for when Temporal is down')
    .allowExcessArguments()
    .action(() => {
      // Reached only when no subcommand matched.
      throw new UsageError('Which procedure? Procedures: disaster-recovery.');
    });
  manual.addCommand(
    new Command('disaster-recovery')
      .description(
        'print, in order, the heroku commands that restore a backup as the disaster-recovery runbook does (runs nothing)',
      )
      .option('--env <name>', 'environment from the runbook config, e.g. production')
      .option('--app <name>', 'Heroku app name, e.g. csis-reconasia-alfa')
      .requiredOption('--backup <name>', 'the backup to restore: b016, or latest (step 1 then finds it)')
      .option('--safety-backup', 'capture a backup of the current database first (default: on for production)')
      .option('--no-safety-backup', 'no safety backup')
      .option('--migrate', "run the migrations command after the restore (default: the environment's runMigrations)")
      .option('--no-migrate', 'no migrations')
      .option(
        '--process <type=N>',
        'scale a quieted process back to N, as `heroku ps` showed it (repeatable)',
        addProcess,
      )
      .option('--json', 'print JSON')
      .action(async (flags: DisasterRecoveryFlags) => {
        const { formatManualRecovery, manualDisasterRecovery, ManualRecoveryError } =
          await import('../../common/manual-recovery');
        const target = await targetOf(flags);
        let recovery;
        try {
          recovery = manualDisasterRecovery(target, {
            backup: flags.backup,
            safetyBackup: flags.safetyBackup,
            migrate: flags.migrate,
            processes: flags.process,
          });
        } catch (err) {
          if (err instanceof ManualRecoveryError) throw new UsageError(err.message);
          throw err;
        }
        console.log(flags.json ? JSON.stringify(recovery, null, 2) : formatManualRecovery(recovery));
      }),
  );
  return manual;
}

/** The environment or app resolved against RUNBOOK_CONFIG exactly as the worker's resolveTarget activity does. */
async function targetOf(flags: DisasterRecoveryFlags) {
  const { EnvironmentName, HerokuAppName } = await import('../../common/inputs');
  const { resolveTarget, TargetError } = await import('../../common/targets');
  const { loadRunbookConfig } = await import('../../lib/runbook-config');
  if (flags.env === undefined && flags.app === undefined) {
    throw new UsageError('--env or --app: give an environment (e.g. production) or an app (e.g. csis-reconasia-alfa)');
  }
  if (flags.env !== undefined && !EnvironmentName.safeParse(flags.env).success) {
    throw new UsageError(`--env: "${flags.env}" is not an environment name such as "staging" or "production"`);
  }
  if (flags.app !== undefined && !HerokuAppName.safeParse(flags.app).success) {
    throw new UsageError(`--app: "${flags.app}" is not a Heroku app name`);
  }
  const { config, source } = loadRunbookConfig();
  try {
    return resolveTarget(config, source, { environment: flags.env, app: flags.app });
  } catch (err) {
    if (err instanceof TargetError) throw new UsageError(err.message);
    throw err;
  }
}
