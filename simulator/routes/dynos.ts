import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import type { SimulatorContext } from '../context';
import {
  type FormationDyno,
  createOneOff,
  findDyno,
  formationDynoView,
  formationDynos,
  interruptOneOff,
  oneOffView,
  restartFormationDynos,
  runningOneOffs,
} from '../domain/dynos';
import { notFound } from '../errors';
import { sendList } from '../range';
import type { AppRecord } from '../state';
import type { OneOffDynoRecord } from '../state-dynos';
import { parseBody } from '../validate';

/** Null is the same as absent: the CLI leaves unset flags out, other clients may send null. */
const optional = <T extends z.ZodType>(schema: T) => schema.nullish().transform((value) => value ?? undefined);
// The CLI sends COLUMNS and LINES as numbers when stdout is a TTY; the dyno sees strings.
const envValue = z.union([z.string(), z.number(), z.boolean()]).transform(String);
const createBody = z.object({
  command: z.string().min(1),
  attach: optional(z.boolean()),
  env: optional(z.record(z.string(), envValue)),
  force_no_tty: optional(z.boolean()),
  size: optional(z.string()),
  type: optional(z.string().regex(/^[\w-]+$/, 'must be a process type name')),
  time_to_live: optional(z.number().positive()),
});

const dynoNotFound = () => notFound('dyno', "Couldn't find that dyno.");
const processTypeNotFound = (type: string) => notFound('formation', `Couldn't find that process type (${type}).`);

/** Heroku answers dyno actions with 202 and an empty object. */
function accepted(res: Response): void {
  res.status(202).json({});
}

/**
 * Dynos (reference §3.6). A restart (DELETE) of a formation dyno replaces it; of a `run` one-off it stops it; of a
 * one-off with a custom type it does nothing (heroku/platform-api#57). A stop kills a one-off; a formation dyno that
 * is stopped is replaced, since the formation still wants it. Restarting all dynos restarts the formation's.
 */
export function dynosRouter(ctx: SimulatorContext): Router {
  const router = Router();
  const now = () => ctx.clock.now().getTime();

  const requireApp = (req: Request): AppRecord => ctx.store.requireApp(String(req.params.app));

  const stopOneOffs = (records: readonly OneOffDynoRecord[]) => {
    for (const record of records) interruptOneOff(ctx, record, 'stop');
  };

  /** Recorded just before the change it describes, since stopping a one-off records its `dyno-exit` at once. */
  const recordAction = (
    kind: 'dyno-stop' | 'dyno-restart',
    app: AppRecord,
    scope: 'dyno' | 'type' | 'app',
    target: string,
    names: readonly string[],
  ) => {
    if (names.length > 0) ctx.effects.record(kind, app.name, { scope, target, names: [...names] });
  };

  router.post('/apps/:app/dynos', (req, res) => {
    const app = requireApp(req);
    const created = createOneOff(ctx, app, parseBody(createBody, req.body));
    res.status(201).json(oneOffView(ctx, app, created, req.hostname, now()));
  });

  router.get('/apps/:app/dynos', (req, res) => {
    const app = requireApp(req);
    const at = now();
    const views = [
      ...formationDynos(app).map((dyno) => formationDynoView(app, dyno, at)),
      ...runningOneOffs(app, at).map((r) => oneOffView(ctx, app, r, req.hostname, at)),
    ];
    sendList(req, res, views, { id: (v) => v.id, name: (v) => v.name }, (v) => v);
  });

  router.get('/apps/:app/dynos/:dyno', (req, res) => {
    const app = requireApp(req);
    const at = now();
    const found = findDyno(app, req.params.dyno, at);
    if (!found) throw dynoNotFound();
    res.json(
      found.kind === 'formation'
        ? formationDynoView(app, found.dyno, at)
        : oneOffView(ctx, app, found.record, req.hostname, at),
    );
  });

  router.post('/apps/:app/dynos/:dyno/actions/stop', (req, res) => {
    const app = requireApp(req);
    const found = findDyno(app, req.params.dyno, now());
    if (!found) throw dynoNotFound();
    const name = found.kind === 'formation' ? found.dyno.name : found.record.name;
    recordAction('dyno-stop', app, 'dyno', name, [name]);
    if (found.kind === 'formation') restartFormationDynos(ctx, app, [found.dyno]);
    else stopOneOffs([found.record]);
    accepted(res);
  });

  router.delete('/apps/:app/dynos/:dyno', (req, res) => {
    const app = requireApp(req);
    const found = findDyno(app, req.params.dyno, now());
    if (!found) throw dynoNotFound();
    if (found.kind === 'formation') {
      recordAction('dyno-restart', app, 'dyno', found.dyno.name, [found.dyno.name]);
      restartFormationDynos(ctx, app, [found.dyno]);
    } else if (found.record.type === 'run') {
      recordAction('dyno-restart', app, 'dyno', found.record.name, [found.record.name]);
      stopOneOffs([found.record]);
    }
    accepted(res);
  });

  router.delete('/apps/:app/dynos', (req, res) => {
    const app = requireApp(req);
    const dynos = formationDynos(app);
    recordAction(
      'dyno-restart',
      app,
      'app',
      app.name,
      dynos.map((d) => d.name),
    );
    restartFormationDynos(ctx, app, dynos);
    accepted(res);
  });

  /** The formation dynos and running one-offs of a process type; 404 if the app has neither. */
  const ofType = (app: AppRecord, type: string): { dynos: FormationDyno[]; oneOffs: OneOffDynoRecord[] } => {
    const dynos = formationDynos(app).filter((d) => d.formation.type === type);
    const oneOffs = runningOneOffs(app, now()).filter((r) => r.type === type);
    if (!app.formation.some((f) => f.type === type) && oneOffs.length === 0) throw processTypeNotFound(type);
    return { dynos, oneOffs };
  };

  router.delete('/apps/:app/formations/:type', (req, res) => {
    const app = requireApp(req);
    const { dynos, oneOffs } = ofType(app, req.params.type);
    const stopped = oneOffs.filter((r) => r.type === 'run');
    const names = [...dynos.map((d) => d.name), ...stopped.map((r) => r.name)];
    recordAction('dyno-restart', app, 'type', req.params.type, names);
    restartFormationDynos(ctx, app, dynos);
    stopOneOffs(stopped);
    accepted(res);
  });

  router.post('/apps/:app/formations/:type/actions/stop', (req, res) => {
    const app = requireApp(req);
    const { dynos, oneOffs } = ofType(app, req.params.type);
    const names = [...dynos.map((d) => d.name), ...oneOffs.map((r) => r.name)];
    recordAction('dyno-stop', app, 'type', req.params.type, names);
    restartFormationDynos(ctx, app, dynos);
    stopOneOffs(oneOffs);
    accepted(res);
  });

  return router;
}
