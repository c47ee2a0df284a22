import { Router } from 'express';
import { z } from 'zod';
import { herokuTime } from '../clock';
import type { SimulatorContext } from '../context';
import { APP_NAME_PATTERN, appView, findStack } from '../domain/apps';
import { invalidParams, notFound } from '../errors';
import { sendList } from '../range';
import type { AppRecord } from '../state';
import { parseBody } from '../validate';

const appUpdate = z.object({
  maintenance: z.boolean().optional(),
  name: z.string().optional(),
  build_stack: z.string().optional(),
});

export function appsRouter(ctx: SimulatorContext): Router {
  const router = Router();

  router.get('/apps', (req, res) => {
    const sortKeys = { id: (app: AppRecord) => app.id, name: (app: AppRecord) => app.name };
    sendList(req, res, ctx.store.state.apps, sortKeys, appView);
  });

  router.get('/apps/:app', (req, res) => {
    res.json(appView(ctx.store.requireApp(req.params.app)));
  });

  // Platform maintenance mode is a flag on the app: toggling it neither
  // restarts dynos nor creates a release (unlike the MAINTENANCE_MODE config var).
  router.patch('/apps/:app', (req, res) => {
    const app = ctx.store.requireApp(req.params.app);
    const update = parseBody(appUpdate, req.body);
    const buildStack = update.build_stack === undefined ? undefined : requireStack(update.build_stack);
    if (update.name !== undefined && update.name !== app.name) checkNewName(ctx, update.name);

    const now = herokuTime(ctx.clock.now());
    if (update.maintenance !== undefined && update.maintenance !== app.maintenance) {
      ctx.effects.record('maintenance', app.name, { from: app.maintenance, to: update.maintenance });
      app.maintenance = update.maintenance;
      app.updated_at = now;
    }
    if (buildStack && buildStack.id !== app.build_stack.id) {
      ctx.effects.record('build_stack', app.name, { from: app.build_stack.name, to: buildStack.name });
      app.build_stack = buildStack;
      app.updated_at = now;
    }
    if (update.name !== undefined && update.name !== app.name) {
      ctx.effects.record('rename', app.name, { from: app.name, to: update.name });
      app.name = update.name;
      app.updated_at = now;
    }
    ctx.store.save();
    res.json(appView(app));
  });

  return router;
}

function checkNewName(ctx: SimulatorContext, name: string): void {
  if (!APP_NAME_PATTERN.test(name)) {
    throw invalidParams(
      'Name must start with a letter, end with a letter or digit and can only contain lowercase letters, digits, and dashes.',
    );
  }
  if (ctx.store.findApp(name)) throw invalidParams('Name is already taken');
}

function requireStack(idOrName: string): { id: string; name: string } {
  const stack = findStack(idOrName);
  if (!stack) throw notFound('stack', "Couldn't find that stack.");
  return { ...stack };
}
