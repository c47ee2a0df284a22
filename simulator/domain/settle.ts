import type { RequestHandler } from 'express';
import type { SimulatorContext } from '../context';
import { completeProvisioning } from './addon-lifecycle';
import { isRestore } from './transfer-logs';
import { advanceTransfer, applyFinishedRestore, pendingFinishMs } from './transfers';

/**
 * Time-driven changes (an add-on finishing provisioning, a transfer starting or finishing) are computed lazily
 * instead of with timers: before any request is served, including control reads of the state, everything due by
 * now is written down, in the order it happened. A restore that finished a while ago therefore changes the
 * database before the request that first looks at it, and never after a later request. What happens with time is
 * attributed to whoever started it (the add-on's or the transfer's creator), not to the request that notices it.
 */
function settleWorld(ctx: SimulatorContext): boolean {
  const nowMs = ctx.clock.now().getTime();
  const due: Array<{ at: number; apply: () => void }> = [];
  let changed = false;

  for (const app of ctx.store.state.apps) {
    for (const addon of app.addons) {
      if (addon.state !== 'provisioning' || addon.provisioned_at === null) continue;
      const at = Date.parse(addon.provisioned_at);
      if (at <= nowMs) {
        const by = ctx.effects.startedBy('addon-create', { id: addon.id });
        due.push({ at, apply: () => ctx.effects.as(by, () => completeProvisioning(ctx, app, addon)) });
      }
    }
    for (const transfer of app.transfers) {
      const at = pendingFinishMs(transfer);
      if (at === null) continue;
      if (at <= nowMs) {
        const by = ctx.effects.startedBy(isRestore(transfer) ? 'restore' : 'backup', { uuid: transfer.uuid });
        due.push({
          at,
          apply: () =>
            ctx.effects.as(by, () => {
              advanceTransfer(transfer, nowMs);
              applyFinishedRestore(ctx, app, transfer);
            }),
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
