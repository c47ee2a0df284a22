import { ApplicationFailure } from '@temporalio/workflow';
import { FailureTypes } from '../common/errors';
import { describeFormation, differsFrom, type ScaleDynosResult, type ScaleRequest } from '../common/formation';
import type { ScaleDynosInput } from '../common/inputs';
import { reads } from './activities';
import { resolveTargetStep, runbook } from './runbook';

/** `heroku ps:scale`: sets absolute quantities (and sizes) per process type; returns the formation it replaced. */
export async function scaleDynos(input: ScaleDynosInput): Promise<ScaleDynosResult> {
  return runbook('scale-dynos', input, async (run, { processes, ...rest }) => {
    run.declare([
      { name: 'resolve', title: 'Resolve the app' },
      { name: 'read', title: 'Record the current formation' },
      { name: 'scale', title: 'Scale the process types' },
      { name: 'verify', title: 'Read the formation back' },
    ]);
    const updates: ScaleRequest[] = Object.entries(processes).map(([type, scale]) => {
      const [quantity, size] = String(scale).split(':');
      return { type, quantity: Number(quantity), ...(size && { size }) };
    });

    const target = await resolveTargetStep(run, rest);
    const previous = await run.step('read', async (step) => {
      const formation = await reads.readFormation({ app: target.app });
      step.detail(describeFormation(formation));
      return formation;
    });

    const differs = updates.filter((update) =>
      differsFrom(
        previous.find((p) => p.type === update.type),
        update,
      ),
    );
    let current = previous;
    if (differs.length === 0) run.skip('scale', 'already as asked');
    else {
      const touched = (formation: typeof previous) => formation.filter((p) => differs.some((u) => u.type === p.type));
      current = await run.step('scale', async (step) => {
        const after = await run.change(
          'scaleFormation',
          { app: target.app, updates: differs },
          {
            intent: `scale ${target.app}: ${differs.map((u) => `${u.type}=${u.quantity}${u.size ? `:${u.size}` : ''}`).join(' ')}`,
            details: { previous: touched(previous), requested: differs },
            // The scale it left, per process type it touched: the reconciler tells the engine's scaling by it.
            done: (formation) => ({
              summary: `scaled ${describeFormation(touched(formation))}`,
              details: { formation: touched(formation) },
            }),
          },
        );
        step.detail(describeFormation(touched(after)));
        return after;
      });
    }

    await run.step('verify', async (step) => {
      const readBack = await reads.readFormation({ app: target.app });
      const wrong = updates.filter((update) =>
        differsFrom(
          readBack.find((p) => p.type === update.type),
          update,
        ),
      );
      if (wrong.length > 0) {
        throw ApplicationFailure.nonRetryable(
          `After scaling, Heroku reports ${describeFormation(readBack)}, not what was asked (${wrong.map((w) => w.type).join(', ')}). Check \`heroku ps -a ${target.app}\`.`,
          FailureTypes.FormationMismatch,
        );
      }
      step.detail(describeFormation(readBack));
      current = readBack;
    });

    const changed = differs.map((update) => update.type);
    return {
      runbook: 'scale-dynos',
      app: target.app,
      environment: target.environment,
      previous,
      current,
      changed,
      operator: run.operator,
      reason: rest.reason ?? null,
      summary: changed.length
        ? `Scaled ${target.app}: ${describeFormation(current.filter((p) => changed.includes(p.type)))} (was ${describeFormation(previous.filter((p) => changed.includes(p.type)))}).`
        : `${target.app} already runs ${describeFormation(previous.filter((p) => updates.some((u) => u.type === p.type)))}; nothing changed.`,
    };
  });
}
