import type { ReleaseRef } from './maintenance';

/** What a config change did, by key only: values are never reported. */
export interface ConfigVarChange {
  /** Keys this run set (new or different value). */
  set: string[];
  /** Keys that already had the value asked for. */
  unchanged: string[];
  /** Keys this run removed. */
  removed: string[];
  /** Keys asked to be removed that were not there. */
  absent: string[];
  /** The release Heroku made for the change, or null when nothing changed. */
  release: ReleaseRef | null;
}

export interface ConfigVarsResult extends ConfigVarChange {
  runbook: 'set-config-vars' | 'unset-config-vars';
  app: string;
  environment: string | null;
  operator: string;
  reason: string | null;
  summary: string;
}

export function describeConfigChange(change: ConfigVarChange): string {
  const parts = [
    change.set.length ? `set ${change.set.join(', ')}` : '',
    change.removed.length ? `removed ${change.removed.join(', ')}` : '',
    change.unchanged.length ? `${change.unchanged.join(', ')} already as asked` : '',
    change.absent.length ? `${change.absent.join(', ')} not set` : '',
  ].filter(Boolean);
  const release =
    change.release && (change.set.length || change.removed.length) ? ` (release v${change.release.version})` : '';
  return `${parts.join('; ')}${release}`;
}
