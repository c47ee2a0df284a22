import { describeSchedule, describeTransfer, findSchedule } from '../common/backups';
import { describeFormation } from '../common/formation';
import { parseScheduleTime, type AppStatusInput, type VerifyBackupScheduleInput } from '../common/inputs';
import { isInMaintenance } from '../common/maintenance';
import type { AppStatusResult, ScheduleDrift, VerifyBackupScheduleResult } from '../common/status';
import { reads } from './activities';
import { resolveTargetStep, runbook } from './runbook';

/** Read-only: maintenance, formation, add-ons, config var names, latest backups, backup schedule, latest release. */
export async function appStatus(input: AppStatusInput): Promise<AppStatusResult> {
  return runbook('app-status', input, async (run, parsed) => {
    run.declare([
      { name: 'resolve', title: 'Resolve the app' },
      { name: 'read', title: 'Read the app, its dynos and add-ons' },
      { name: 'backups', title: 'Read backups and the backup schedule' },
    ]);
    const target = await resolveTargetStep(run, parsed);
    const app = target.app;
    const [maintenance, formation, overview] = await run.step('read', () =>
      Promise.all([
        reads.readMaintenanceState({ app, settings: target.maintenance }),
        reads.readFormation({ app }),
        reads.readAppOverview({ app }),
      ]),
    );
    const { latestBackups, backupSchedule } = await run.step('backups', async () => {
      const database = await reads.resolveDatabase({ app, attachment: target.backups.database });
      const [transfers, schedules] = await Promise.all([
        reads.listTransfers({ app: database.appName }),
        reads.readBackupSchedules({ database }),
      ]);
      return {
        latestBackups: transfers.filter((t) => t.kind === 'backup' || t.kind === 'scheduled-backup').slice(0, 3),
        backupSchedule: findSchedule(schedules, database.attachment),
      };
    });
    const inMaintenance = isInMaintenance(maintenance);
    return {
      runbook: 'app-status',
      app,
      environment: target.environment,
      maintenance,
      formation,
      ...overview,
      latestBackups,
      backupSchedule,
      summary: [
        `${app}: maintenance ${inMaintenance ? 'ON' : 'off'}`,
        describeFormation(formation),
        `${overview.addons.length} add-ons`,
        latestBackups[0] ? `latest backup ${describeTransfer(latestBackups[0])}` : 'no backups',
        backupSchedule ? `backups ${describeSchedule(backupSchedule)}` : 'NO backup schedule',
        overview.latestRelease ? `release v${overview.latestRelease.version}` : 'no releases',
      ].join('; '),
    };
  });
}

/** Read-only: compares the database's backup schedule with the one the environment's config asks for. */
export async function verifyBackupSchedule(input: VerifyBackupScheduleInput): Promise<VerifyBackupScheduleResult> {
  return runbook('verify-backup-schedule', input, async (run, parsed) => {
    run.declare([
      { name: 'resolve', title: 'Resolve the app and its configured schedule' },
      { name: 'read', title: 'Read the backup schedule' },
    ]);
    const target = await resolveTargetStep(run, parsed);
    const expected = target.backups.schedule ? parseScheduleTime(target.backups.schedule) : null;
    const { database, actual } = await run.step('read', async () => {
      const found = await reads.resolveDatabase({ app: target.app, attachment: target.backups.database });
      return {
        database: `${found.attachment}_URL`,
        actual: findSchedule(await reads.readBackupSchedules({ database: found }), found.attachment),
      };
    });
    const drift: ScheduleDrift =
      expected === null
        ? actual === null
          ? 'in-sync'
          : 'unexpected'
        : actual === null
          ? 'missing'
          : actual.hour === expected.hour && actual.timezone === expected.timezone
            ? 'in-sync'
            : 'different';
    const want = expected ? describeSchedule(expected) : 'no schedule';
    const have = actual ? describeSchedule(actual) : 'no schedule';
    const fix = expected
      ? ` Fix: runbook run schedule-backups --app ${target.app} --at "${target.backups.schedule}".`
      : '';
    return {
      runbook: 'verify-backup-schedule',
      app: target.app,
      environment: target.environment,
      database,
      expected,
      actual,
      drift,
      summary:
        drift === 'in-sync'
          ? `${target.app}'s ${database}: ${have}, as configured.`
          : `${target.app}'s ${database} drifted (${drift}): configured ${want}, Heroku has ${have}.${drift === 'unexpected' ? '' : fix}`,
    };
  });
}
