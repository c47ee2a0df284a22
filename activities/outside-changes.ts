import type { Dyno, Formation } from '@heroku-cli/schema';
import { ApplicationFailure } from '@temporalio/common';
import { END_EVENTS, type AuditEntry, type AuditRecord } from '../common/audit';
import type { RunbookConfig } from '../common/environments';
import { FailureTypes } from '../common/errors';
import { describeFormation } from '../common/formation';
import {
  OUTSIDE_CHANGE_RUNBOOK,
  outsideChangesWorkflowId,
  RECONCILER_ACTOR,
  UNKNOWN_ACTOR,
  type AppReconciliation,
  type OutsideChange,
  type OutsideChangeKind,
} from '../common/outside-changes';
import { clip } from '../common/redact';
import type { AuditLog } from '../lib/audit/audit-log';
import { copyToLog, type AuditLogCopy } from '../lib/audit/log-copy';
import { summarize, type DataApi, type Transfer } from './heroku/data-api';
import type { PlatformApi } from './heroku/platform-api';

/** How far back a pass looks at releases and transfers (RUNBOOK_OUTSIDE_CHANGES_LOOKBACK): a day. */
export const DEFAULT_OUTSIDE_CHANGES_LOOKBACK_MS = 24 * 3_600_000;

/** An intent this recent with no outcome yet is an engine change in flight: the app is looked at next time. */
const IN_FLIGHT_MS = 3_600_000;

/** The engine's change records are read this much further back than Heroku's window (clocks, slow records). */
const TRAIL_MARGIN_MS = 3_600_000;

/** Enough for any app's window; more than this many records of one app in a day is not our case. */
const TRAIL_LIMIT = 20_000;

/** The newest releases read per pass (one page of Heroku's Range). */
const RELEASE_PAGE = 1000;

export interface OutsideChangeSettings {
  /** How far back a pass looks at releases and transfers. */
  lookbackMs?: number;
}

/** A process type's scale as the reconciler knows it, and where from. */
interface KnownScale {
  quantity: number;
  size: string;
  /** Worker time of what it is known from: the engine's record, or the reconciler's own read of Heroku. */
  at: string;
  from: 'engine' | 'observation';
}

/** What the trail says the engine itself did on an app: the Heroku artefacts its change records name. */
interface EngineArtefacts {
  releaseIds: Set<string>;
  releaseVersions: Set<number>;
  transferUuids: Set<string>;
  /** Transfer names (b017, r003) from records that predate the uuid being recorded. */
  transferNames: Set<string>;
  /** The latest scale the engine set, per process type. */
  formation: Map<string, KnownScale>;
  /** An engine change started and not yet recorded as done or failed, or null. */
  inFlight: string | null;
}

/** The marker runbooks append to one-off commands (common/commands.ts commandMarker): which run, which step. */
const MARKER = /# heroku-runbooks:([A-Za-z0-9._%-]+):([A-Za-z0-9._%-]+):([A-Za-z0-9._%-]+)/g;

/** What `heroku run` (attached) appends to read the exit status: noise in a command shown to people. */
const EXIT_STATUS_SUFFIX = / ; echo "\uFFFF heroku-command-exit-status: \$\?"$/;

const sameSize = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

function asRecord(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

/** The releases a change record names: `details.release` (config vars), `details.change.release` (maintenance). */
function releasesIn(details: Record<string, unknown>): Array<{ id?: unknown; version?: unknown }> {
  return [asRecord(details.release), asRecord(asRecord(details.change)?.release)].filter(
    (release): release is Record<string, unknown> => release !== null,
  );
}

/** Reads what the engine did from its change records (newest first, as the trail answers). Exported for tests. */
export function engineArtefacts(entries: AuditEntry[], app: string, now: number): EngineArtefacts {
  const artefacts: EngineArtefacts = {
    releaseIds: new Set(),
    releaseVersions: new Set(),
    transferUuids: new Set(),
    transferNames: new Set(),
    formation: new Map(),
    inFlight: null,
  };
  const runs = new Map<string, AuditEntry[]>();
  for (const entry of entries) {
    if (entry.runbook === OUTSIDE_CHANGE_RUNBOOK) continue;
    const key = `${entry.workflowId}\u0000${entry.runId}`;
    runs.set(key, [...(runs.get(key) ?? []), entry]);
    if (entry.event !== 'change' || entry.app !== app) continue;
    const details = entry.details ?? {};
    for (const release of releasesIn(details)) {
      if (typeof release.id === 'string') artefacts.releaseIds.add(release.id);
      if (typeof release.version === 'number') artefacts.releaseVersions.add(release.version);
    }
    // What a capture or a restore started (not the backup a restore restores: that may be anyone's).
    const started =
      details.activity === 'startBackupCapture'
        ? details.backup
        : details.activity === 'startRestore'
          ? details.restore
          : undefined;
    if (details.activity === 'startBackupCapture' || details.activity === 'startRestore') {
      const transfer = asRecord(details.transfer);
      if (typeof transfer?.uuid === 'string') artefacts.transferUuids.add(transfer.uuid);
      if (typeof started === 'string') artefacts.transferNames.add(started);
    }
    if (details.activity === 'scaleFormation' && details.outcome === 'done' && Array.isArray(details.formation)) {
      for (const process of details.formation as Array<Record<string, unknown>>) {
        const { type, quantity, size } = process;
        if (typeof type !== 'string' || typeof quantity !== 'number' || typeof size !== 'string') continue;
        const known = artefacts.formation.get(type);
        if (!known || known.at < entry.at)
          artefacts.formation.set(type, { quantity, size, at: entry.at, from: 'engine' });
      }
    }
  }
  // An intent whose run has recorded neither its outcome nor its end: the change may be on Heroku already and its
  // record not yet in the trail. Looking now could take the engine's own change for an outside one.
  for (const records of runs.values()) {
    if (records.some((record) => END_EVENTS.includes(record.event))) continue;
    const open = records.find(
      (intent) =>
        intent.event === 'intent' &&
        intent.app === app &&
        Date.parse(intent.at) > now - IN_FLIGHT_MS &&
        !records.some((record) => record.event === 'change' && record.seq > intent.seq),
    );
    if (open) {
      artefacts.inFlight = `${open.runbook} ${open.workflowId} is changing the app (${open.summary}); looked at next time`;
    }
  }
  return artefacts;
}

/** The scale the reconciler last saw, per process type, from its own records of the app. */
function observedFormation(own: AuditEntry[]): { baseline: boolean; known: Map<string, KnownScale> } {
  const known = new Map<string, KnownScale>();
  let baseline = false;
  const note = (process: Record<string, unknown> | null, at: unknown) => {
    if (!process || typeof at !== 'string') return;
    const { type, quantity, size } = process;
    if (typeof type !== 'string' || typeof quantity !== 'number' || typeof size !== 'string') return;
    const current = known.get(type);
    if (!current || current.at < at) known.set(type, { quantity, size, at, from: 'observation' });
  };
  for (const entry of own) {
    const details = entry.details ?? {};
    if (details.kind === 'formation-baseline' && Array.isArray(details.formation)) {
      baseline = true;
      for (const process of details.formation) note(asRecord(process), details.observedAt);
    }
    if (details.kind === 'formation') note(asRecord(details.after), details.observedAt);
  }
  return { baseline, known };
}

/** The name and number a one-off's command names as the run and step that started it (runbooks' marker). */
function markedRuns(command: string): Array<{ workflowId: string; runId: string }> {
  const runs: Array<{ workflowId: string; runId: string }> = [];
  for (const match of command.matchAll(MARKER)) {
    try {
      runs.push({ workflowId: decodeURIComponent(match[1]), runId: decodeURIComponent(match[2]) });
    } catch {
      // not a marker a runbook made
    }
  }
  return runs;
}

function scaleOf(process: Formation): { type: string; quantity: number; size: string; updatedAt: string } {
  const size = (process as { dyno_size?: { name?: string } }).dyno_size?.name ?? process.size ?? 'unknown';
  return {
    type: process.type ?? 'unknown',
    quantity: process.quantity ?? 0,
    size,
    updatedAt: process.updated_at ?? 'unknown',
  };
}

function describeScale(type: string, before: KnownScale | null, after: { quantity: number; size: string }): string {
  if (!before) return `${type} scaled 0→${after.quantity} ${after.size} (a process type new to the reconciler)`;
  if (sameSize(before.size, after.size)) return `${type} scaled ${before.quantity}→${after.quantity} ${after.size}`;
  return `${type} scaled ${before.quantity} ${before.size}→${after.quantity} ${after.size}`;
}

function describeTransferChange(transfer: Transfer): { summary: string; kind: string } | null {
  const { name, kind } = summarize(transfer);
  const from = transfer.from_name || 'a URL';
  const to = transfer.to_name || 'a database';
  if (kind === 'restore') return { kind, summary: `restore of ${from} into ${to} started (${name})` };
  if (kind === 'backup') return { kind, summary: `backup ${name} of ${from} captured by hand` };
  if (kind === 'copy') return { kind, summary: `copy ${name} of ${from} into ${to} started` };
  return null; // a scheduled backup: Heroku's schedule made it
}

/**
 * The reconciler's activities: it reads Heroku (releases with their actor, formation, dynos, Postgres transfers)
 * and the audit trail, and records in the trail each change on Heroku that no engine record names. It changes
 * nothing on Heroku. Idempotent: each change has a deterministic identity in the trail, so a retry, a second pass
 * or a concurrent reconciler writes nothing twice.
 */
export function outsideChangeActivities(deps: {
  platform: PlatformApi;
  data: DataApi;
  audit: AuditLog;
  config: RunbookConfig;
  configSource: string;
  settings?: OutsideChangeSettings;
  /** Where each record written is copied (the worker's log): outside changes alert there too. */
  logCopy?: AuditLogCopy;
}) {
  const { platform, data, audit, config, configSource } = deps;
  const lookbackMs = deps.settings?.lookbackMs ?? DEFAULT_OUTSIDE_CHANGES_LOOKBACK_MS;

  function configuredApps(): Array<{ app: string; environment: string }> {
    return Object.entries(config.environments).map(([environment, settings]) => ({ app: settings.app, environment }));
  }

  async function transfersOf(app: string): Promise<Transfer[]> {
    try {
      return await data.listTransfers(app);
    } catch (err) {
      // An app without Heroku Postgres has no transfers.
      if (err instanceof ApplicationFailure && err.type === FailureTypes.HerokuNotFound) return [];
      throw err;
    }
  }

  /** Whether the run a one-off's marker names recorded starting this very dyno on the app. */
  async function startedByEngine(app: string, dyno: Dyno): Promise<boolean> {
    for (const run of markedRuns(dyno.command ?? '')) {
      const records = await audit.query({ workflowId: run.workflowId, limit: TRAIL_LIMIT });
      const started = records.some(
        (record) =>
          record.runId === run.runId &&
          record.app === app &&
          record.event === 'change' &&
          record.runbook !== OUTSIDE_CHANGE_RUNBOOK &&
          record.details?.activity === 'startOneOffDyno' &&
          record.details?.dyno === dyno.name,
      );
      if (started) return true;
    }
    return false;
  }

  return {
    /** The apps a pass looks at: those asked for, which must be configured, else all the configured ones. */
    async outsideChangeApps({ apps }: { apps?: string[] }): Promise<Array<{ app: string; environment: string }>> {
      const configured = configuredApps();
      if (!apps) return configured;
      const unknown = apps.filter((app) => !configured.some((c) => c.app === app));
      if (unknown.length > 0) {
        throw ApplicationFailure.create({
          type: FailureTypes.InvalidRunbookInput,
          nonRetryable: true,
          message: `${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not an app of ${configSource}: the reconciler looks only at the configured apps (${configured.map((c) => c.app).join(', ') || 'none'}).`,
        });
      }
      return configured.filter((c) => apps.includes(c.app));
    },

    /** One pass over one configured app: what it recorded, what was on record already. */
    async reconcileOutsideChanges({ app }: { app: string }): Promise<AppReconciliation> {
      const environment = configuredApps().find((c) => c.app === app)?.environment;
      if (!environment) {
        throw ApplicationFailure.create({
          type: FailureTypes.InvalidRunbookInput,
          nonRetryable: true,
          message: `${app} is not an app of ${configSource}: the reconciler looks only at the configured apps.`,
        });
      }
      const result: AppReconciliation = {
        app,
        environment,
        recorded: [],
        alreadyRecorded: 0,
        baseline: false,
        deferred: null,
      };
      // Heroku first, then the trail: a change visible on Heroku now had its intent recorded before it was made, so
      // the trail read after it shows either the engine's record of it or the engine change in flight.
      const observedAt = new Date().toISOString();
      const now = Date.parse(observedAt);
      const since = now - lookbackMs;
      const [releases, formation, dynos, transfers, account] = await Promise.all([
        platform.recentReleases(app, RELEASE_PAGE),
        platform.getFormation(app),
        platform.listDynos(app),
        transfersOf(app),
        platform.account(),
      ]);
      const entries = await audit.query({
        app,
        since: new Date(since - TRAIL_MARGIN_MS).toISOString(),
        limit: TRAIL_LIMIT,
      });
      const own = (await audit.query({ workflowId: outsideChangesWorkflowId(app), limit: TRAIL_LIMIT })).filter(
        (entry) => entry.runbook === OUTSIDE_CHANGE_RUNBOOK,
      );
      const engine = engineArtefacts(entries, app, now);
      if (engine.inFlight) {
        result.deferred = engine.inFlight;
        return result;
      }

      const record = async (
        kind: OutsideChangeKind | 'formation-baseline',
        runId: string,
        fields: Pick<AuditRecord, 'operator' | 'summary' | 'details'> & { event?: AuditRecord['event'] },
        herokuAt: string | null,
      ) => {
        const { written: stored, record: chained } = await audit.append({
          workflowId: outsideChangesWorkflowId(app),
          runId,
          seq: 0,
          at: new Date().toISOString(),
          runbook: OUTSIDE_CHANGE_RUNBOOK,
          event: fields.event ?? 'outside-change',
          operator: fields.operator,
          app,
          environment,
          summary: fields.summary,
          details: { kind, recordedBy: RECONCILER_ACTOR, observedAt, ...fields.details },
        });
        if (stored) copyToLog(deps.logCopy, chained);
        if (kind === 'formation-baseline') return;
        const change: OutsideChange = {
          app,
          environment,
          kind,
          runId,
          operator: fields.operator,
          summary: fields.summary,
          herokuAt,
        };
        if (stored) result.recorded.push(change);
        else result.alreadyRecorded++;
      };

      // Releases: config set/unset, add-ons, deploys, rollbacks. Heroku names who made each.
      const inWindow = (time: string | null | undefined) => !!time && Date.parse(time) >= since;
      for (const release of [...releases].sort((a, b) => (a.version ?? 0) - (b.version ?? 0))) {
        if (!release.id || release.version === undefined || !inWindow(release.created_at)) continue;
        if (engine.releaseIds.has(release.id) || engine.releaseVersions.has(release.version)) continue;
        const email = release.user?.email;
        const engineAccount = !!email && email === account.email;
        const by = email
          ? `by ${email}${engineAccount ? " (the engine's own account, but no runbook made it: someone used its API key)" : ''}`
          : '';
        const description = clip(release.description ?? '', 300);
        await record(
          'release',
          `release:${release.id}`,
          {
            operator: email ?? UNKNOWN_ACTOR,
            summary: `outside change${by ? ` ${by}` : ''}: release v${release.version} "${description}"`,
            details: {
              release: {
                id: release.id,
                version: release.version,
                description,
                status: release.status ?? null,
                createdAt: release.created_at,
              },
              user: email ?? null,
              engineAccount,
            },
          },
          release.created_at ?? null,
        );
      }

      // Postgres transfers: restores, backups captured by hand, copies. Heroku names nobody.
      for (const transfer of [...transfers].sort((a, b) => a.num - b.num)) {
        if (!inWindow(transfer.created_at)) continue;
        const described = describeTransferChange(transfer);
        if (!described) continue;
        const { name, status } = summarize(transfer);
        if (engine.transferUuids.has(transfer.uuid) || engine.transferNames.has(name)) continue;
        await record(
          'transfer',
          `transfer:${transfer.uuid}`,
          {
            operator: UNKNOWN_ACTOR,
            summary: `outside change: ${described.summary}`,
            // Never the URLs: they carry the database's credentials and the backup's signed address.
            details: {
              transfer: {
                uuid: transfer.uuid,
                num: transfer.num,
                name,
                kind: described.kind,
                from: transfer.from_name ?? null,
                to: transfer.to_name ?? null,
                status,
                createdAt: transfer.created_at,
              },
            },
          },
          transfer.created_at,
        );
      }

      // One-off dynos running now (Heroku lists a one-off only while it runs). Heroku names nobody.
      for (const dyno of dynos) {
        if (!dyno.id || !dyno.name || !(dyno.type === 'run' || dyno.name.startsWith('run.'))) continue;
        if (await startedByEngine(app, dyno)) continue;
        const command = clip((dyno.command ?? '').replace(EXIT_STATUS_SUFFIX, ''), 300);
        await record(
          'dyno',
          `dyno:${dyno.id}`,
          {
            operator: UNKNOWN_ACTOR,
            summary: `outside change: one-off dyno ${dyno.name} \`${command}\``,
            details: {
              dyno: {
                id: dyno.id,
                name: dyno.name,
                command,
                size: dyno.size ?? null,
                state: dyno.state ?? null,
                createdAt: dyno.created_at ?? null,
              },
            },
          },
          dyno.created_at ?? null,
        );
      }

      // Formation: Heroku keeps no actor and no history, only the current scale and when it last changed. Each
      // process type is compared with the latest scale known: the engine's own record of it, or what the reconciler
      // saw last. On the first look there is nothing to compare with: the formation is recorded as a baseline.
      const scales = formation.map(scaleOf);
      const observed = observedFormation(own);
      if (!observed.baseline) {
        result.baseline = true;
        await record(
          'formation-baseline',
          'formation-baseline',
          {
            event: 'notice',
            operator: RECONCILER_ACTOR,
            summary: `first look at ${app}'s formation: ${describeFormation(scales) || 'no process types'} (a baseline, not a change)`,
            details: { formation: scales },
          },
          null,
        );
        return result;
      }
      for (const scale of scales) {
        const candidates = [observed.known.get(scale.type), engine.formation.get(scale.type)].filter(
          (known): known is KnownScale => !!known,
        );
        const before = candidates.sort((a, b) => (a.at < b.at ? 1 : -1))[0] ?? null;
        if (before && before.quantity === scale.quantity && sameSize(before.size, scale.size)) continue;
        await record(
          'formation',
          `formation:${scale.type}:${scale.updatedAt}`,
          {
            operator: UNKNOWN_ACTOR,
            summary: `outside change: ${describeScale(scale.type, before, scale)}`,
            details: {
              type: scale.type,
              before: before && { quantity: before.quantity, size: before.size, knownFrom: before.from, at: before.at },
              after: { type: scale.type, quantity: scale.quantity, size: scale.size, updatedAt: scale.updatedAt },
            },
          },
          scale.updatedAt,
        );
      }
      return result;
    },
  };
}
