import type { MaintenanceSettings } from '../common/environments';
import type { ConfigVarState, MaintenanceState, ReleaseRef } from '../common/maintenance';
import type { PlatformApi } from './heroku/platform-api';

export interface ConfigVarMaintenanceRequest {
  app: string;
  settings: MaintenanceSettings;
  on: boolean;
}

export function configVarState(value: string | undefined, settings: MaintenanceSettings): ConfigVarState {
  if (value === undefined) return 'unset';
  if (value === settings.onValue) return 'on';
  if (value === settings.offValue) return 'off';
  return 'other';
}

/**
 * Maintenance mode, both ways Heroku apps do it. Each activity reads before it writes, so a retry after a crash
 * finds the change already made and makes no second one (a second config change would mean a second release and
 * a second restart).
 */
export function maintenanceActivities(heroku: PlatformApi) {
  return {
    async readMaintenanceState({
      app,
      settings,
    }: {
      app: string;
      settings: MaintenanceSettings;
    }): Promise<MaintenanceState> {
      const found = await heroku.getApp(app);
      const state: MaintenanceState = { app: found.name ?? app, platformFlag: found.maintenance === true };
      if (settings.strategy !== 'platform') {
        const vars = await heroku.getConfigVars(app);
        state.configVar = { key: settings.configVar, state: configVarState(vars[settings.configVar], settings) };
      }
      return state;
    },

    /** Sets Heroku's platform maintenance flag; returns whether this call changed it. */
    async setPlatformMaintenance({ app, on }: { app: string; on: boolean }): Promise<{ changed: boolean }> {
      const found = await heroku.getApp(app);
      if (found.maintenance === on) return { changed: false };
      await heroku.setPlatformMaintenance(app, on);
      return { changed: true };
    },

    /**
     * Sets (or removes) the maintenance config var. Returns the release Heroku created for it; if the var was
     * already as asked (say, this is a retry after the change went through), the app's latest release.
     */
    async setMaintenanceConfigVar({
      app,
      settings,
      on,
    }: ConfigVarMaintenanceRequest): Promise<{ changed: boolean; release: ReleaseRef | null }> {
      const wanted = on ? settings.onValue : settings.offValue;
      const vars = await heroku.getConfigVars(app);
      // "On" is exactly the value the app reads as on; anything else the app reads as off.
      const isOn = configVarState(vars[settings.configVar], settings) === 'on';
      if (isOn === on) return { changed: false, release: await heroku.latestRelease(app) };
      await heroku.patchConfigVars(app, { [settings.configVar]: wanted });
      return { changed: true, release: await heroku.latestRelease(app) };
    },
  };
}
