import type { MaintenanceChange, MaintenanceResult } from '../common/maintenance';
import type { MaintenanceInput } from '../common/inputs';
import { reads } from './activities';
import { resolveTargetStep, runbook, type CheckedInput, type RunbookRun } from './runbook';

/** Puts an app in maintenance mode: the site shows its maintenance page while work is done behind it. */
export async function maintenanceOn(input: MaintenanceInput): Promise<MaintenanceResult> {
  return runbook('maintenance-on', input, (run, checked) => switchMaintenance(run, checked, true));
}

/** Takes an app out of maintenance mode. */
export async function maintenanceOff(input: MaintenanceInput): Promise<MaintenanceResult> {
  return runbook('maintenance-off', input, (run, checked) => switchMaintenance(run, checked, false));
}

async function switchMaintenance(
  run: RunbookRun,
  input: CheckedInput<'maintenance-on'>,
  on: boolean,
): Promise<MaintenanceResult> {
  const name = run.name as MaintenanceResult['runbook'];
  run.declare([
    { name: 'resolve', title: 'Resolve the app and its settings' },
    { name: 'read', title: 'Read the maintenance state' },
    { name: 'platform-flag', title: `Turn Heroku's maintenance flag ${on ? 'on' : 'off'}` },
    { name: 'config-var', title: `${on ? 'Set' : 'Clear'} the maintenance config var` },
  ]);
  const target = await resolveTargetStep(run, input);
  const { strategy } = target.maintenance;

  // Read first: a second run on an app already as asked changes nothing (no release, no restart).
  const before = await run.step('read', () =>
    reads.readMaintenanceState({ app: target.app, settings: target.maintenance }),
  );
  const changes: MaintenanceChange[] = [];

  if (strategy === 'config-var') run.skip('platform-flag', 'not used by the config-var strategy');
  else if (before.platformFlag === on) run.skip('platform-flag', `already ${on ? 'on' : 'off'}`);
  else {
    await run.step('platform-flag', async (step) => {
      const change: MaintenanceChange = { what: 'platform-flag', from: before.platformFlag, to: on };
      await run.change(
        'setPlatformMaintenance',
        { app: target.app, on },
        {
          intent: `turn Heroku's maintenance flag ${on ? 'on' : 'off'} for ${target.app}`,
          done: () => describeChange(change),
        },
      );
      step.detail(describeChange(change));
      changes.push(change);
    });
  }

  if (!before.configVar) run.skip('config-var', 'not used by the platform strategy');
  else if ((before.configVar.state === 'on') === on)
    run.skip('config-var', `${before.configVar.key} already ${before.configVar.state}`);
  else {
    const { key, state: from } = before.configVar;
    const to = on ? 'on' : target.maintenance.offValue === null ? 'unset' : 'off';
    await run.step('config-var', async (step) => {
      const { release } = await run.change(
        'setMaintenanceConfigVar',
        { app: target.app, settings: target.maintenance, on },
        {
          intent: `${
            to === 'unset'
              ? `remove ${key} from`
              : `set ${key}=${on ? target.maintenance.onValue : target.maintenance.offValue} on`
          } ${target.app} (a release and a restart)`,
          done: ({ release }) => {
            const change: MaintenanceChange = { what: 'config-var', key, from, to, release };
            return { summary: describeChange(change), details: { change } };
          },
        },
      );
      const change: MaintenanceChange = { what: 'config-var', key, from, to, release };
      step.detail(describeChange(change));
      changes.push(change);
    });
  }

  const where = target.environment ? `${target.app} (${target.environment})` : target.app;
  return {
    runbook: name,
    app: target.app,
    environment: target.environment,
    strategy,
    maintenance: on ? 'on' : 'off',
    changed: changes.length > 0,
    changes,
    operator: run.operator,
    reason: input.reason ?? null,
    summary: `Maintenance is ${on ? 'ON' : 'OFF'} for ${where}: ${changes.length ? changes.map(describeChange).join('; ') : 'it already was, nothing changed'}.`,
  };
}

function describeChange(change: MaintenanceChange): string {
  if (change.what === 'platform-flag') return `Heroku maintenance flag turned ${change.to ? 'on' : 'off'}`;
  const action = change.to === 'unset' ? `removed ${change.key}` : `set ${change.key} ${change.to}`;
  return change.release ? `${action} (release v${change.release.version})` : action;
}
