import type { RequestHandler } from 'express';
import type { SimulatorContext } from '../context';
import { completeProvisioning } from './addon-lifecycle';
import { advanceTransfer, applyFinishedRestore, pendingFinishMs } from './transfers';

/**
 * Time-driven changes (an add-on finishing provisioning, a transfer starting or finishing) are computed lazily
 * instead of with timers: before any request is served, including control reads of the state, everything due by
 * now is written down, in the order it happened. A restore that finished a while ago therefore changes the
 * database before the request that first looks at it, and never after a later request.
 */
function settleWorld(ctx: SimulatorContext): boolean {
  const nowMs = ctx.clock.now().getTime();
  const due: Array<{ at: number; apply: () => void }> = [];
  let changed = false;

  for (const app of ctx.store.state.apps) {
    for (const addon of app.addons) {
      if (addon.state !== 'provisioning' || addon.provisioned_at === null) continue;
      const at = Date.parse(addon.provisioned_at);
      if (at <= nowMs) due.push({ at, apply: () => completeProvisioning(ctx, app, addon) });
    }
    for (const transfer of app.transfers) {
      const at = pendingFinishMs(transfer);
      if (at === null) continue;
      if (at <= nowMs) {
        due.push({
          at,
          apply: () => {
            advanceTransfer(transfer, nowMs);
            applyFinishedRestore(ctx, app, transfer);
          },
        });
      } else if (advanceTransfer(transfer, nowMs)) {
        changed = true;
      }
    }
  }

  due.sort((a, b) => a.at - b.at);
  for (const event of due) event.apply();
  return changed || due.length > 0;
}

export function settle(ctx: SimulatorContext): RequestHandler {
  return (_req, _res, next) => {
    if (settleWorld(ctx)) ctx.store.save();
    next();
  };
}
