import { Router } from 'express';
import { z } from 'zod';
import type { SimulatorContext } from '../context';
import { formationView, requireFormation, scaleFormation } from '../domain/formation';
import { sendList } from '../range';
import type { FormationRecord } from '../state';
import { parseBody } from '../validate';

const quantity = z.union([z.number(), z.string()]);
const dynoSize = z.object({ id: z.string().optional(), name: z.string().optional() });
const change = { quantity: quantity.optional(), size: z.string().optional(), dyno_size: dynoSize.optional() };
const batchUpdate = z.object({ updates: z.array(z.object({ type: z.string(), ...change })).min(1) });
const singleUpdate = z.object(change);

export function formationRouter(ctx: SimulatorContext): Router {
  const router = Router();

  router.get('/apps/:app/formation', (req, res) => {
    const app = ctx.store.requireApp(req.params.app);
    sendList(
      req,
      res,
      app.formation,
      { id: (f: FormationRecord) => f.id, type: (f: FormationRecord) => f.type },
      (formation) => formationView(app, formation),
    );
  });

  router.get('/apps/:app/formation/:type', (req, res) => {
    const app = ctx.store.requireApp(req.params.app);
    res.json(formationView(app, requireFormation(app, req.params.type)));
  });

  // Batch: answers with every process type after the update (the CLI filters).
  router.patch('/apps/:app/formation', (req, res) => {
    const app = ctx.store.requireApp(req.params.app);
    const { updates } = parseBody(batchUpdate, req.body);
    scaleFormation(ctx, app, updates);
    ctx.store.save();
    res.json(app.formation.map((formation) => formationView(app, formation)));
  });

  router.patch('/apps/:app/formation/:type', (req, res) => {
    const app = ctx.store.requireApp(req.params.app);
    const update = parseBody(singleUpdate, req.body);
    const [formation] = scaleFormation(ctx, app, [{ type: req.params.type, ...update }]);
    ctx.store.save();
    res.json(formationView(app, formation));
  });

  return router;
}
