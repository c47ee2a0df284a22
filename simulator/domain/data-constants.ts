/**
 * Facts of the Postgres data API that the seed and the domain modules share: how backups are sized, kept and
 * addressed, and how database contents are named. This module imports nothing, so the seed can use them without
 * depending on the domain modules (and, through them, on the simulator's services).
 */

/** Retention Heroku reports for manual backups on Standard plans (UNCONFIRMED, reference §4.2). */
export const NUM_KEEP = 25;
/** Compressed dump size relative to the database size, about what b016 (9.59 MB of a ~36 MB database) shows. */
export const DUMP_RATIO = 0.265;
const BACKUP_HOST = 'https://xfrtu.s3.example.com';

/** Where a backup's dump lives (fake S3); restores find the backup again by this URL. */
export function backupUrl(appId: string, uuid: string): string {
  return `${BACKUP_HOST}/${appId}/${uuid}/backup.dump`;
}

/** Content ids say which database they were written on and when, so a test can read them. */
export function contentId(addonName: string, at: string): string {
  return `${addonName}@${at}`;
}
