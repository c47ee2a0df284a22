// What the invariants compare before and after a disaster recovery: the app as Heroku (the simulator) holds it, read
// from the simulator's control API, which no injected fault touches.
import type { SimulatorState } from '../../simulator';

export interface AppSnapshot {
  /** Heroku's maintenance flag and the MAINTENANCE_MODE config var (the seed's runbook uses the config var). */
  maintenance: { flag: boolean; configVar: string | null };
  /** `type=quantity:size`, sorted. */
  formation: string[];
  /** The DATABASE's backup schedule, `name hour timezone`, or null. */
  schedule: string | null;
}

export async function readState(simulatorUrl: string): Promise<SimulatorState> {
  const response = await fetch(`${simulatorUrl}/__simulator/state`);
  if (!response.ok) throw new Error(`simulator state: ${response.status}`);
  return (await response.json()) as SimulatorState;
}

export function snapshotOf(state: SimulatorState, appName: string): AppSnapshot {
  const app = state.apps.find((candidate) => candidate.name === appName);
  if (!app) throw new Error(`the simulator has no app ${appName}`);
  const database = app.addons.find((addon) => addon.attachments.some((attachment) => attachment.name === 'DATABASE'));
  const schedule = database?.database?.schedule;
  return {
    maintenance: { flag: app.maintenance, configVar: app.config_vars.MAINTENANCE_MODE ?? null },
    formation: app.formation.map((process) => `${process.type}=${process.quantity}:${process.size}`).sort(),
    schedule: schedule ? `${schedule.name} ${schedule.hour} ${schedule.timezone}` : null,
  };
}

/** Whether the site is in maintenance by either switch. */
export function inMaintenance(snapshot: AppSnapshot): boolean {
  return snapshot.maintenance.flag || snapshot.maintenance.configVar === 'True';
}
