import { Router } from 'express';
import { z } from 'zod';
import type { SimulatorContext } from '../context';
import { databaseInfoView, deleteSchedule, requireDatabase, scheduleView, setSchedule } from '../domain/databases';
import {
  cancelTransfer,
  captureBackup,
  deleteTransfer,
  publicUrl,
  requireLiveTransfer,
  requireTransfer,
  restoreBackup,
  transferView,
} from '../domain/transfers';
import { isTimeZone } from '../state-addons';
import { parseBody } from '../validate';

const restoreBody = z.object({
  backup_url: z.string().regex(/^https?:\/\//, 'must be an http(s) URL'),
  extensions: z.array(z.string()).nullish(),
});

/** The CLI sends the hour as the string it parsed from `--at` ("02"); the CLI's types read it back as a number. */
const scheduleBody = z.object({
  hour: z
    .union([
      z.int(),
      z
        .string()
        .regex(/^\d{1,2}$/, 'must be an hour, 0 to 23')
        .transform(Number),
    ])
    .pipe(z.int().min(0).max(23)),
  timezone: z
    .string()
    .default('UTC')
    .refine(isTimeZone, 'must be an IANA time zone such as America/New_York')
    .transform((zone) => new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone),
  schedule_name: z.string().min(1),
});

/**
 * The Heroku Postgres data API (reference §4), served under /client/v11 on the Platform API's port because the
 * CLI sends data requests to HEROKU_HOST's scheme and port (§1.3). Creates answer 201 (UNCONFIRMED; the CLI
 * accepts any 2xx).
 */
export function dataApiRouter(ctx: SimulatorContext): Router {
  const router = Router();
  const now = () => ctx.clock.now().getTime();
  const database = (id: string) => requireDatabase(ctx.store.state, id);

  router.get('/client/v11/apps/:app/transfers', (req, res) => {
    const app = ctx.store.requireApp(req.params.app);
    const live = app.transfers.filter((t) => !t.deleted_at).sort((a, b) => a.num - b.num);
    res.json(live.map((t) => transferView(t, now(), false)));
  });

  router.get('/client/v11/apps/:app/transfers/:transfer', (req, res) => {
    const app = ctx.store.requireApp(req.params.app);
    res.json(transferView(requireTransfer(app, req.params.transfer), now(), req.query.verbose === 'true'));
  });

  router.delete('/client/v11/apps/:app/transfers/:transfer', (req, res) => {
    const app = ctx.store.requireApp(req.params.app);
    const transfer = requireLiveTransfer(app, req.params.transfer);
    deleteTransfer(ctx, app, transfer);
    ctx.store.save();
    res.json(transferView(transfer, now(), false));
  });

  router.post('/client/v11/apps/:app/transfers/:transfer/actions/cancel', (req, res) => {
    const app = ctx.store.requireApp(req.params.app);
    const transfer = requireLiveTransfer(app, req.params.transfer);
    cancelTransfer(ctx, app, transfer);
    ctx.store.save();
    res.json(transferView(transfer, now(), false));
  });

  router.post('/client/v11/apps/:app/transfers/:transfer/actions/public-url', (req, res) => {
    const app = ctx.store.requireApp(req.params.app);
    res.json(publicUrl(ctx, requireLiveTransfer(app, req.params.transfer)));
  });

  router.get('/client/v11/databases/:database', (req, res) => {
    res.json(databaseInfoView(database(req.params.database)));
  });

  router.post('/client/v11/databases/:database/backups', (req, res) => {
    const transfer = captureBackup(ctx, database(req.params.database));
    ctx.store.save();
    res.status(201).json(transferView(transfer, now(), false));
  });

  router.post('/client/v11/databases/:database/restores', (req, res) => {
    const located = database(req.params.database);
    const body = parseBody(restoreBody, req.body);
    const transfer = restoreBackup(ctx, located, body.backup_url);
    ctx.store.save();
    res.status(201).json(transferView(transfer, now(), false));
  });

  router.get('/client/v11/databases/:database/transfer-schedules', (req, res) => {
    const { database: db } = database(req.params.database);
    res.json(db.schedule ? [scheduleView(db.schedule)] : []);
  });

  router.post('/client/v11/databases/:database/transfer-schedules', (req, res) => {
    const located = database(req.params.database);
    const body = parseBody(scheduleBody, req.body);
    const schedule = setSchedule(ctx, located, { name: body.schedule_name, hour: body.hour, timezone: body.timezone });
    ctx.store.save();
    res.status(201).json(scheduleView(schedule));
  });

  router.delete('/client/v11/databases/:database/transfer-schedules/:schedule', (req, res) => {
    const schedule = deleteSchedule(ctx, database(req.params.database), req.params.schedule);
    ctx.store.save();
    res.json(scheduleView(schedule));
  });

  return router;
}
