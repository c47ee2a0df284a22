import type { App, ConfigVars, Formation, Release } from '@heroku-cli/schema';
import type { ReleaseRef } from '../../common/maintenance';
import type { HerokuConnection } from './connection';
import { HerokuApiClient } from './request';

/** A config-var change: a string sets the var, null removes it. */
export type ConfigVarPatch = Record<string, string | null>;

/** The Heroku Platform API (HEROKU_API_URL) as the runbooks use it. */
export class PlatformApi extends HerokuApiClient {
  constructor(connection: HerokuConnection, rateLimitPauseMs?: number) {
    super(connection.apiUrl, connection.apiKey, rateLimitPauseMs);
  }

  getApp(app: string): Promise<App> {
    return this.request('GET', `/apps/${encodeURIComponent(app)}`);
  }

  setPlatformMaintenance(app: string, maintenance: boolean): Promise<App> {
    return this.request('PATCH', `/apps/${encodeURIComponent(app)}`, { body: { maintenance } });
  }

  /** The app's config vars. Values are secrets: callers keep them inside the activity. */
  getConfigVars(app: string): Promise<ConfigVars> {
    return this.request('GET', `/apps/${encodeURIComponent(app)}/config-vars`);
  }

  /** Applies a config change (Heroku creates a release and restarts the dynos). Returns nothing on purpose:
   * Heroku answers with every var's value, which must not leave this class. */
  async patchConfigVars(app: string, patch: ConfigVarPatch): Promise<void> {
    await this.request('PATCH', `/apps/${encodeURIComponent(app)}/config-vars`, { body: patch });
  }

  /** The app's newest release (a config change makes one), or null if it has none. */
  async latestRelease(app: string): Promise<ReleaseRef | null> {
    const [release] = await this.request<Release[]>('GET', `/apps/${encodeURIComponent(app)}/releases`, {
      headers: { Range: 'version ..; order=desc,max=1' },
      partial: true,
    });
    if (!release?.id || release.version === undefined) return null;
    return { version: release.version, id: release.id, description: release.description ?? '' };
  }

  getFormation(app: string): Promise<Formation[]> {
    return this.request('GET', `/apps/${encodeURIComponent(app)}/formation`);
  }
}
