import { Router } from 'express';
import { z } from 'zod';
import type { SimulatorContext } from './context';
import { dataSettingsChange } from './data-settings';
import { allAddons, type Located } from './domain/addons';
import { contentId } from './domain/data-constants';
import { scheduleView } from './domain/databases';
import { liveBackup, repaceTransfer, transferName, transferNotFound, transferView } from './domain/transfers';
import { ApiError, notFound } from './errors';
import { stateSchema } from './state';
import { describeIssues } from './validate';

const paceBody = z.strictObject({ bytesPerSecond: z.number().positive() });

const writesBody = z.strictObject({
  content_id: z.string().min(1).optional(),
  bytes: z.int().nonnegative().optional(),
});

/**
 * Control endpoints for add-ons and Heroku Postgres, mounted under /__simulator:
 * - `GET|PUT /data-api`: the data-API settings (see data-settings.ts); PUT merges the fields it is given.
 * - `GET /databases`: every database with its content, the backup that content came from, and its schedule.
 * - `POST /databases/{addon}/writes`: the app writes to its database, so the content no longer matches a backup.
 * - `PUT /transfers/{uuid}/pace`: an unfinished transfer goes on at another pace (`{bytesPerSecond}`, simulated)
 *   from now: a transfer that speeds up or slows down half-way, as real ones do.
 * - `POST /seed`: replaces the whole world with a state document (the `--state` file format; one without people
 *   gets the seed's, see state-upgrade.ts).
 */
export function dataControlRouter(ctx: SimulatorContext): Router {
  const router = Router();
  const fail = (error: z.ZodError) => new ApiError(400, 'bad_request', describeIssues(error));

  router.get('/data-api', (_req, res) => {
    res.json(ctx.dataApi.current);
  });

  router.put('/data-api', (req, res) => {
    const parsed = dataSettingsChange.safeParse(req.body ?? {});
    if (!parsed.success) throw fail(parsed.error);
    res.json(ctx.dataApi.update(parsed.data));
  });

  const databaseView = ({ app, addon }: Located) => {
    const database = addon.database!;
    const live = liveBackup(ctx.store.state, database.content.id);
    return {
      app: app.name,
      addon: addon.name,
      id: addon.id,
      plan: addon.plan,
      state: addon.state,
      attachments: addon.attachments.map((a) => a.name),
      content: database.content,
      live_backup: live ? `${live.app === app ? '' : `${live.app.name}::`}${transferName(live.backup)}` : null,
      schedule: database.schedule && scheduleView(database.schedule),
    };
  };

  router.get('/databases', (_req, res) => {
    res.json(
      allAddons(ctx.store.state)
        .filter(({ addon }) => addon.database)
        .map(databaseView),
    );
  });

  router.post('/databases/:addon/writes', (req, res) => {
    const parsed = writesBody.safeParse(req.body ?? {});
    if (!parsed.success) throw fail(parsed.error);
    const located = allAddons(ctx.store.state).find(
      ({ addon }) => addon.database && (addon.id === req.params.addon || addon.name === req.params.addon),
    );
    if (!located) throw notFound('database', "Couldn't find that database.");
    const database = located.addon.database!;
    database.content = {
      id: parsed.data.content_id ?? contentId(located.addon.name, ctx.clock.now().toISOString()),
      bytes: parsed.data.bytes ?? database.content.bytes + 65_536,
    };
    ctx.store.save();
    res.json(databaseView(located));
  });

  router.put('/transfers/:uuid/pace', (req, res) => {
    const parsed = paceBody.safeParse(req.body ?? {});
    if (!parsed.success) throw fail(parsed.error);
    const uuid = req.params.uuid.toLowerCase();
    const app = ctx.store.state.apps.find((a) => a.transfers.some((t) => t.uuid === uuid));
    const transfer = app?.transfers.find((t) => t.uuid === uuid);
    if (!app || !transfer) throw transferNotFound();
    repaceTransfer(ctx, transfer, parsed.data.bytesPerSecond);
    res.json({ ...transferView(transfer, ctx.clock.now().getTime(), false), simulation: transfer.simulation });
  });

  router.post('/seed', (req, res) => {
    const parsed = stateSchema.safeParse(ctx.store.upgrade(req.body));
    if (!parsed.success) throw fail(parsed.error);
    ctx.store.replace(parsed.data);
    res.json({ seeded: true, apps: parsed.data.apps.map((app) => app.name) });
  });

  return router;
}
