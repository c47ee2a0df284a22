import { createHash, randomUUID } from 'node:crypto';
import { herokuTime } from '../clock';
import type { SimulatorContext } from '../context';
import { ApiError, notFound } from '../errors';
import type { SimulatorState, AppRecord } from '../state';
import type { TransferRecord } from '../state-transfers';
import { allAddons } from './addons';
import { DUMP_RATIO, NUM_KEEP, backupUrl } from './data-constants';
import type { LocatedDatabase } from './databases';
import { isRestore, transferLogs } from './transfer-logs';

/**
 * Backups and restores of the Postgres data API (reference §4.2–4.3). A transfer is planned when it is created
 * (pending for `transferPendingMs`, then `processed_bytes` growing at `transferBytesPerSecond`, both simulated)
 * and read off that plan at any later moment; settle.ts applies what finishing changes (a restore's new content,
 * the dropped schedule) on the first request after the moment it finishes.
 */

/** How far a failing transfer gets before it fails. */
const FAIL_AT_FRACTION = 0.5;
/** Size assumed for a dump behind a URL the simulator did not produce. */
const EXTERNAL_DUMP_BYTES = 5_242_880;

/** The data API renders times as `2016-10-13 15:32:37 +0000` (the runbook's table and the CLI's fixtures). */
export function dataTime(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} +0000`;
}

/** `b016`, `a011`, `r017`, `c003`: the CLI's naming (reference §4.2). */
export function transferName(transfer: Pick<TransferRecord, 'from_type' | 'to_type' | 'schedule' | 'num'>): string {
  const prefix =
    transfer.from_type === 'pg_dump'
      ? transfer.to_type === 'pg_restore'
        ? 'c'
        : transfer.schedule
          ? 'a'
          : 'b'
      : transfer.to_type === 'pg_restore'
        ? 'r'
        : 'b';
  return `${prefix}${String(transfer.num).padStart(3, '0')}`;
}

export function isBackup(transfer: Pick<TransferRecord, 'from_type' | 'to_type'>): boolean {
  return transfer.from_type === 'pg_dump' && transfer.to_type === 'gof3r';
}

export const transferNotFound = () => notFound('transfer', "Couldn't find that transfer.");

/** `{num_or_uuid}`: the CLI uses the num for info, url, delete and cancel, and the uuid while polling. */
export function requireTransfer(app: AppRecord, numOrUuid: string): TransferRecord {
  const transfer = /^\d+$/.test(numOrUuid)
    ? app.transfers.find((t) => t.num === Number(numOrUuid))
    : app.transfers.find((t) => t.uuid === numOrUuid.toLowerCase());
  if (!transfer) throw transferNotFound();
  return transfer;
}

/** Actions do not see deleted transfers. */
export function requireLiveTransfer(app: AppRecord, numOrUuid: string): TransferRecord {
  const transfer = requireTransfer(app, numOrUuid);
  if (transfer.deleted_at) throw transferNotFound();
  return transfer;
}

function processedAt(transfer: TransferRecord, nowMs: number): number {
  const plan = transfer.simulation;
  if (transfer.finished_at || !plan) return transfer.processed_bytes;
  const starts = Date.parse(plan.starts_at);
  const completes = Date.parse(plan.completes_at);
  if (nowMs <= starts) return 0;
  const fraction = completes > starts ? Math.min(1, (nowMs - starts) / (completes - starts)) : 1;
  return Math.floor(plan.total_bytes * fraction);
}

export function transferView(transfer: TransferRecord, nowMs: number, verbose: boolean) {
  const time = (iso: string | null) => (iso === null ? null : dataTime(iso));
  return {
    uuid: transfer.uuid,
    num: transfer.num,
    from_name: transfer.from_name,
    from_type: transfer.from_type,
    from_url: transfer.from_url,
    to_name: transfer.to_name,
    to_type: transfer.to_type,
    to_url: transfer.to_url,
    options: transfer.options,
    source_bytes: transfer.source_bytes,
    processed_bytes: processedAt(transfer, nowMs),
    succeeded: transfer.succeeded,
    warnings: transfer.warnings,
    created_at: dataTime(transfer.created_at),
    started_at: time(transfer.started_at),
    updated_at: dataTime(transfer.updated_at),
    finished_at: time(transfer.finished_at),
    canceled_at: time(transfer.canceled_at),
    deleted_at: time(transfer.deleted_at),
    purged_at: time(transfer.purged_at),
    num_keep: transfer.num_keep,
    ...(transfer.schedule ? { schedule: transfer.schedule } : {}),
    ...(verbose ? { logs: transferLogs(transfer, dataTime) } : {}),
  };
}

function nextNum(app: AppRecord): number {
  return Math.max(0, ...app.transfers.map((t) => t.num)) + 1;
}

/** The name the database goes by on its billing app (DATABASE), as Heroku labels transfers. */
function attachmentName({ app, addon }: LocatedDatabase): string {
  return (
    addon.attachments.find((a) => a.app_id === app.id)?.name ?? addon.attachments[0]?.name ?? addon.name.toUpperCase()
  );
}

interface Plan {
  num: number;
  total_bytes: number;
  fails: boolean;
}

/** The fields every new transfer shares, with its timeline planned from now. */
function plannedTransfer(ctx: SimulatorContext, located: LocatedDatabase, plan: Plan) {
  const settings = ctx.dataApi.current;
  const nowMs = ctx.clock.now().getTime();
  // Whole milliseconds, rounded up, so that a transfer never finishes before its simulated duration is over.
  const startsMs = nowMs + Math.ceil(ctx.time.realMs(settings.transferPendingMs));
  const completesMs =
    startsMs + Math.ceil(ctx.time.realMs((plan.total_bytes / settings.transferBytesPerSecond) * 1000));
  const now = herokuTime(new Date(nowMs));
  return {
    uuid: randomUUID(),
    num: plan.num,
    options: {},
    processed_bytes: 0,
    succeeded: false,
    warnings: 0,
    num_keep: NUM_KEEP,
    schedule: null,
    created_at: now,
    started_at: null,
    finished_at: null,
    canceled_at: null,
    deleted_at: null,
    purged_at: null,
    updated_at: now,
    database_id: located.addon.id,
    simulation: {
      starts_at: new Date(startsMs).toISOString(),
      completes_at: new Date(completesMs).toISOString(),
      fails_at: plan.fails
        ? new Date(startsMs + Math.ceil((completesMs - startsMs) * FAIL_AT_FRACTION)).toISOString()
        : null,
      total_bytes: plan.total_bytes,
    },
  };
}

export function captureBackup(ctx: SimulatorContext, located: LocatedDatabase): TransferRecord {
  const { app, database } = located;
  const name = attachmentName(located);
  const num = nextNum(app);
  const fails = ctx.dataApi.captureFails(transferName({ from_type: 'pg_dump', to_type: 'gof3r', schedule: null, num }));
  const base = plannedTransfer(ctx, located, {
    num,
    total_bytes: Math.round(database.content.bytes * DUMP_RATIO),
    fails,
  });
  const transfer: TransferRecord = {
    ...base,
    from_name: name,
    from_type: 'pg_dump',
    from_url: app.config_vars[`${name}_URL`] ?? null,
    to_name: 'BACKUP',
    to_type: 'gof3r',
    to_url: backupUrl(app.id, base.uuid),
    source_bytes: database.content.bytes,
    content: { ...database.content },
    backup_uuid: null,
    failure: fails
      ? 'pg_dump: error: Dumping the contents of table "projects" failed: PQgetResult() failed.\n' +
        'pg_dump: error: Error message from server: server closed the connection unexpectedly'
      : null,
  };
  app.transfers.push(transfer);
  ctx.effects.record('backup', app.name, {
    name: transferName(transfer),
    uuid: transfer.uuid,
    database: located.addon.name,
  });
  return transfer;
}

/** Our backup behind a URL: its `to_url`, or a public URL made from it (which adds a query string). */
export function findBackupByUrl(
  state: SimulatorState,
  url: string,
): { app: AppRecord; backup: TransferRecord } | undefined {
  const base = url.split('?')[0];
  for (const app of state.apps) {
    const backup = app.transfers.find((t) => isBackup(t) && t.to_url === base);
    if (backup) return { app, backup };
  }
  return undefined;
}

export function restoreBackup(ctx: SimulatorContext, located: LocatedDatabase, url: string): TransferRecord {
  const { app } = located;
  const backup = findBackupByUrl(ctx.store.state, url)?.backup;
  const backupName = backup && transferName(backup);
  const usable = !backup || (backup.succeeded && !backup.deleted_at);
  const num = nextNum(app);
  const fails =
    !usable ||
    ctx.dataApi.restoreFails(
      transferName({ from_type: 'gof3r', to_type: 'pg_restore', schedule: null, num }),
      backupName,
    );
  const dumpBytes = backup ? backup.processed_bytes : EXTERNAL_DUMP_BYTES;
  const targetName = attachmentName(located);
  const base = plannedTransfer(ctx, located, { num, total_bytes: dumpBytes, fails });
  const content = !usable
    ? null
    : (backup?.content ?? { id: `url:${url}`, bytes: Math.round(EXTERNAL_DUMP_BYTES / DUMP_RATIO) });
  const transfer: TransferRecord = {
    ...base,
    from_name: backupName ?? null,
    from_type: backup ? 'gof3r' : 'htcat',
    from_url: url,
    to_name: targetName,
    to_type: 'pg_restore',
    to_url: app.config_vars[`${targetName}_URL`] ?? null,
    source_bytes: dumpBytes,
    content,
    backup_uuid: backup?.uuid ?? null,
    failure: !fails
      ? null
      : usable
        ? 'pg_restore: error: could not execute query: ERROR:  out of shared memory\n' +
          'HINT:  You might need to increase max_locks_per_transaction.'
        : `pg_restore: error: could not read input file: backup ${backupName} is not available`,
  };
  app.transfers.push(transfer);
  ctx.effects.record('restore', app.name, {
    name: transferName(transfer),
    uuid: transfer.uuid,
    database: located.addon.name,
    ...(backupName ? { backup: backupName } : {}),
  });
  return transfer;
}

export function cancelTransfer(ctx: SimulatorContext, app: AppRecord, transfer: TransferRecord): void {
  if (transfer.finished_at) {
    throw new ApiError(409, 'conflict', `Transfer ${transferName(transfer)} has already finished.`);
  }
  const now = ctx.clock.now();
  transfer.processed_bytes = processedAt(transfer, now.getTime());
  transfer.canceled_at = transfer.finished_at = transfer.updated_at = herokuTime(now);
  transfer.succeeded = false;
  ctx.effects.record('transfer-cancel', app.name, { name: transferName(transfer), uuid: transfer.uuid });
}

export function deleteTransfer(ctx: SimulatorContext, app: AppRecord, transfer: TransferRecord): void {
  if (!transfer.finished_at) {
    throw new ApiError(409, 'conflict', `Transfer ${transferName(transfer)} is still running; cancel it first.`);
  }
  transfer.deleted_at = transfer.updated_at = herokuTime(ctx.clock.now());
  ctx.effects.record('transfer-delete', app.name, { name: transferName(transfer), uuid: transfer.uuid });
}

/** A signed-looking, hour-long download URL for a finished backup. */
export function publicUrl(ctx: SimulatorContext, transfer: TransferRecord): { url: string; expires_at: string } {
  if (!isBackup(transfer) || !transfer.succeeded || !transfer.to_url) {
    throw new ApiError(422, 'invalid_params', `${transferName(transfer)} is not a completed backup.`);
  }
  const now = ctx.clock.now();
  const expires = herokuTime(new Date(now.getTime() + 3_600_000));
  const signature = createHash('sha256').update(`${transfer.uuid}:${expires}`).digest('hex');
  return {
    url: `${transfer.to_url}?X-Amz-Expires=3600&X-Amz-Date=${herokuTime(now).replace(/[-:]/g, '')}&X-Amz-Signature=${signature}`,
    expires_at: dataTime(expires),
  };
}

/**
 * Real transfers do not keep one pace (big tables, compressible rows, a busy host): from now on, this unfinished
 * transfer goes on at `bytesPerSecond` (simulated). What it has processed so far stays; the rest of its plan —
 * when it completes, or fails half-way — moves to match. A pending transfer starts when planned, at the new pace.
 */
export function repaceTransfer(ctx: SimulatorContext, transfer: TransferRecord, bytesPerSecond: number): void {
  const plan = transfer.simulation;
  if (transfer.finished_at || !plan) {
    throw new ApiError(409, 'conflict', `Transfer ${transferName(transfer)} has already finished.`);
  }
  const nowMs = ctx.clock.now().getTime();
  const processed = processedAt(transfer, nowMs);
  const from = Math.max(nowMs, Date.parse(plan.starts_at));
  const completes = from + Math.ceil(ctx.time.realMs(((plan.total_bytes - processed) / bytesPerSecond) * 1000));
  // Progress is read off a straight line from starts_at to completes_at: the line through (now, processed) at the
  // new pace starts earlier, on paper, for a running transfer. started_at, already written down, stays.
  const starts =
    processed === 0
      ? from
      : processed >= plan.total_bytes
        ? Date.parse(plan.starts_at)
        : completes - Math.ceil(((completes - nowMs) * plan.total_bytes) / (plan.total_bytes - processed));
  plan.starts_at = new Date(starts).toISOString();
  plan.completes_at = new Date(completes).toISOString();
  if (plan.fails_at !== null) {
    plan.fails_at = new Date(
      Math.max(nowMs, starts + Math.ceil((completes - starts) * FAIL_AT_FRACTION)),
    ).toISOString();
  }
  ctx.store.save();
}

/** When the planned transfer stops (completes or fails); null once finished or if it has no plan. */
export function pendingFinishMs(transfer: TransferRecord): number | null {
  if (transfer.finished_at || !transfer.simulation) return null;
  return Date.parse(transfer.simulation.fails_at ?? transfer.simulation.completes_at);
}

/**
 * Writes down what has happened to a transfer by `nowMs`: whether it started, and whether it finished (the caller
 * then applies the consequences). Returns what changed.
 */
export function advanceTransfer(transfer: TransferRecord, nowMs: number): 'finished' | 'started' | null {
  const plan = transfer.simulation;
  const finishMs = pendingFinishMs(transfer);
  if (!plan || finishMs === null) return null;
  let change: 'started' | null = null;
  if (!transfer.started_at && nowMs >= Date.parse(plan.starts_at)) {
    transfer.started_at = transfer.updated_at = herokuTime(new Date(plan.starts_at));
    change = 'started';
  }
  if (nowMs < finishMs) return change;
  transfer.processed_bytes = processedAt(transfer, finishMs);
  transfer.succeeded = plan.fails_at === null;
  transfer.finished_at = transfer.updated_at = herokuTime(new Date(finishMs));
  return 'finished';
}

/**
 * A finished restore's consequences: on success the database holds the restored content and, if the simulator
 * follows the runbook (`restoreDropsSchedule`), loses its backup schedule. A failed or canceled restore leaves
 * the database as it was.
 */
export function applyFinishedRestore(ctx: SimulatorContext, app: AppRecord, transfer: TransferRecord): void {
  if (!isRestore(transfer) || !transfer.succeeded || !transfer.content) return;
  const target = allAddons(ctx.store.state).find(({ addon }) => addon.id === transfer.database_id);
  const database = target?.addon.database;
  // The database may have been destroyed while the restore ran.
  if (!target || !database) return;
  database.content = { ...transfer.content };
  const schedule = database.schedule;
  if (schedule && ctx.dataApi.current.restoreDropsSchedule) {
    database.schedule = null;
    ctx.effects.record('schedule-dropped', app.name, {
      database: target.addon.name,
      uuid: schedule.uuid,
      name: schedule.name,
      restore: transferName(transfer),
      // Recorded by the first request after the restore finished; this is when it did.
      at: transfer.finished_at,
    });
  }
}

/** The newest successful backup (of any app) holding `contentId`: which backup a database is "at". */
export function liveBackup(
  state: SimulatorState,
  contentId: string,
): { app: AppRecord; backup: TransferRecord } | undefined {
  return state.apps
    .flatMap((app) => app.transfers.map((backup) => ({ app, backup })))
    .filter(
      ({ backup }) => isBackup(backup) && backup.succeeded && !backup.deleted_at && backup.content?.id === contentId,
    )
    .sort((a, b) => a.backup.created_at.localeCompare(b.backup.created_at))
    .at(-1);
}
