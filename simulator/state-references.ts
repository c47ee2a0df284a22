import type { z } from 'zod';
import { POSTGRES_SERVICE, findPlan } from './domain/addon-catalog';

/**
 * Cross-references a state file must get right for add-ons and transfers, checked after the field-by-field
 * schema so that a hand-edited or uploaded seed fails with the offending path instead of breaking a request
 * later. (Transfers may outlive their database: a destroyed add-on leaves its backups listed on the app.)
 */

interface StateShape {
  apps: Array<{
    id: string;
    addons: Array<{
      id: string;
      name: string;
      plan: string;
      database: unknown;
      attachments: Array<{ name: string; app_id: string }>;
    }>;
    transfers: Array<{ uuid: string; num: number }>;
  }>;
}

export function checkDataReferences(state: StateShape, ctx: z.RefinementCtx): void {
  const appIds = new Set(state.apps.map((app) => app.id));
  const addonIds = new Set<string>();
  const addonNames = new Set<string>();
  const attachmentNames = new Set<string>();
  const transferUuids = new Set<string>();

  state.apps.forEach((app, appIndex) => {
    app.addons.forEach((addon, addonIndex) => {
      const path = ['apps', appIndex, 'addons', addonIndex];
      if (addonIds.has(addon.id))
        ctx.addIssue({ code: 'custom', path: [...path, 'id'], message: 'duplicate add-on id' });
      if (addonNames.has(addon.name))
        ctx.addIssue({ code: 'custom', path: [...path, 'name'], message: 'duplicate add-on name' });
      addonIds.add(addon.id);
      addonNames.add(addon.name);
      const isPostgres = findPlan(addon.plan)?.service.name === POSTGRES_SERVICE;
      if (isPostgres !== (addon.database !== null)) {
        const message = isPostgres
          ? 'a Heroku Postgres add-on needs a database'
          : 'only Heroku Postgres add-ons have a database';
        ctx.addIssue({ code: 'custom', path: [...path, 'database'], message });
      }
      addon.attachments.forEach((attachment, attachmentIndex) => {
        const attachmentPath = [...path, 'attachments', attachmentIndex];
        if (!appIds.has(attachment.app_id)) {
          ctx.addIssue({ code: 'custom', path: [...attachmentPath, 'app_id'], message: 'no app has this id' });
        }
        const key = `${attachment.app_id}/${attachment.name}`;
        if (attachmentNames.has(key)) {
          ctx.addIssue({
            code: 'custom',
            path: [...attachmentPath, 'name'],
            message: 'the app already has an attachment of this name',
          });
        }
        attachmentNames.add(key);
      });
    });

    const nums = new Set<number>();
    app.transfers.forEach((transfer, transferIndex) => {
      const path = ['apps', appIndex, 'transfers', transferIndex];
      if (nums.has(transfer.num))
        ctx.addIssue({ code: 'custom', path: [...path, 'num'], message: 'duplicate transfer num on this app' });
      if (transferUuids.has(transfer.uuid))
        ctx.addIssue({ code: 'custom', path: [...path, 'uuid'], message: 'duplicate transfer uuid' });
      nums.add(transfer.num);
      transferUuids.add(transfer.uuid);
    });
  });
}
