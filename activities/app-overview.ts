import type { AddOn } from '@heroku-cli/schema';
import type { AppOverview } from '../common/status';
import type { PlatformApi } from './heroku/platform-api';

/** Read-only facts about an app for `app-status`: add-ons and plans, config var NAMES, the latest release. */
export function appOverviewActivities(heroku: PlatformApi) {
  return {
    async readAppOverview({ app }: { app: string }): Promise<AppOverview> {
      const [addons, vars, latestRelease] = await Promise.all([
        heroku.request<AddOn[]>('GET', `/apps/${encodeURIComponent(app)}/addons`, {
          headers: { 'Accept-Expansion': 'addon_service,plan' },
        }),
        heroku.getConfigVars(app),
        heroku.latestRelease(app),
      ]);
      return {
        addons: addons.map((addon) => ({
          name: addon.name ?? 'unknown',
          plan: addon.plan?.name ?? 'unknown',
          state: addon.state ?? 'unknown',
        })),
        configVarKeys: Object.keys(vars).sort(),
        latestRelease,
      };
    },
  };
}
