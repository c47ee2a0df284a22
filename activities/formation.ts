import { ApplicationFailure } from '@temporalio/common';
import type { Formation } from '@heroku-cli/schema';
import { FailureTypes } from '../common/errors';
import { differsFrom, type ProcessFormation, type ScaleRequest } from '../common/formation';
import type { PlatformApi } from './heroku/platform-api';

function toProcess(formation: Formation): ProcessFormation {
  const size = (formation as { dyno_size?: { name?: string } }).dyno_size?.name ?? formation.size ?? 'unknown';
  return { type: formation.type ?? 'unknown', quantity: formation.quantity ?? 0, size };
}

/** Dyno formation: `heroku ps:scale`. Quantities are absolute, so a retried scale is harmless. */
export function formationActivities(heroku: PlatformApi) {
  async function readFormation({ app }: { app: string }): Promise<ProcessFormation[]> {
    return (await heroku.getFormation(app)).map(toProcess);
  }

  return {
    readFormation,

    /**
     * Scales the given process types, sending only what differs from the current formation (an unchanged type
     * is not touched). Returns the formation afterwards. A process type the app lacks fails without retry.
     */
    async scaleFormation({ app, updates }: { app: string; updates: ScaleRequest[] }): Promise<ProcessFormation[]> {
      const current = await readFormation({ app });
      const unknown = updates.filter((update) => !current.some((process) => process.type === update.type));
      if (unknown.length > 0) {
        throw ApplicationFailure.create({
          type: FailureTypes.HerokuRejected,
          nonRetryable: true,
          message: `${app} has no process type ${unknown.map((u) => `"${u.type}"`).join(', ')}; its process types are ${current.map((p) => p.type).join(', ')}. Nothing was scaled.`,
        });
      }
      const needed = updates.filter((update) =>
        differsFrom(
          current.find((p) => p.type === update.type),
          update,
        ),
      );
      if (needed.length === 0) return current;
      const body = { updates: needed.map(({ type, quantity, size }) => ({ type, quantity, ...(size && { size }) })) };
      await heroku.request('PATCH', `/apps/${encodeURIComponent(app)}/formation`, { body });
      return readFormation({ app });
    },
  };
}
