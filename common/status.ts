import type { BackupSchedule, TransferSummary } from './backups';
import type { ProcessFormation } from './formation';
import type { MaintenanceState, ReleaseRef } from './maintenance';

export interface AddonSummary {
  name: string;
  plan: string;
  state: string;
}

export interface AppOverview {
  addons: AddonSummary[];
  /** Config var names only: values are the app's secrets. */
  configVarKeys: string[];
  latestRelease: ReleaseRef | null;
}

export interface AppStatusResult extends AppOverview {
  runbook: 'app-status';
  app: string;
  environment: string | null;
  maintenance: MaintenanceState;
  formation: ProcessFormation[];
  latestBackups: TransferSummary[];
  backupSchedule: BackupSchedule | null;
  summary: string;
}

export type ScheduleDrift = 'in-sync' | 'missing' | 'different' | 'unexpected';

export interface VerifyBackupScheduleResult {
  runbook: 'verify-backup-schedule';
  app: string;
  environment: string | null;
  database: string;
  expected: { hour: number; timezone: string } | null;
  actual: BackupSchedule | null;
  drift: ScheduleDrift;
  summary: string;
}
