import { randomUUID } from 'node:crypto';
import { herokuTime } from '../clock';
import type { SimulatorContext } from '../context';
import { notFound } from '../errors';
import type { AppRecord, ReleaseRecord } from '../state';
import { appRef } from './apps';

export function releaseView(app: AppRecord, release: ReleaseRecord) {
  return {
    id: release.id,
    version: release.version,
    description: release.description,
    status: release.status,
    current: release === currentRelease(app),
    created_at: release.created_at,
    updated_at: release.updated_at,
    app: appRef(app),
    user: release.user,
    addon_plan_names: release.addon_plan_names,
    slug: release.slug,
    artifacts: release.slug ? [{ type: 'slug', id: release.slug.id }] : [],
    output_stream_url: null,
    eligible_for_rollback: release.status === 'succeeded',
  };
}

/** The newest succeeded release is the one the app runs. */
export function currentRelease(app: AppRecord): ReleaseRecord | undefined {
  return app.releases
    .filter((release) => release.status === 'succeeded')
    .reduce<ReleaseRecord | undefined>((newest, r) => (newest && newest.version > r.version ? newest : r), undefined);
}

/** `{release}` path segments accept a UUID or an integer version. */
export function requireRelease(app: AppRecord, idOrVersion: string): ReleaseRecord {
  const release = /^\d+$/.test(idOrVersion)
    ? app.releases.find((r) => r.version === Number(idOrVersion))
    : app.releases.find((r) => r.id === idOrVersion.toLowerCase());
  if (!release) throw notFound('release', "Couldn't find that release.");
  return release;
}

/**
 * Creates the next release on top of the current one (same slug and add-on
 * plans), as Heroku does for config-var changes, and records the effect. The
 * release's user is the account acting (the token's, or whoever started what
 * finished with time).
 */
export function createRelease(ctx: SimulatorContext, app: AppRecord, description: string): ReleaseRecord {
  const now = herokuTime(ctx.clock.now());
  const base = currentRelease(app);
  const user = ctx.effects.actor();
  const release: ReleaseRecord = {
    id: randomUUID(),
    version: Math.max(0, ...app.releases.map((r) => r.version)) + 1,
    description,
    status: 'succeeded',
    created_at: now,
    updated_at: now,
    user: { id: user.id, email: user.email },
    slug: base?.slug ?? null,
    addon_plan_names: [...(base?.addon_plan_names ?? [])],
  };
  app.releases.push(release);
  app.released_at = now;
  app.updated_at = now;
  ctx.effects.record('release', app.name, { id: release.id, version: release.version, description });
  return release;
}
