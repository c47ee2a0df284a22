import { Router } from 'express';
import type { SimulatorContext } from '../context';
import { createRelease } from '../domain/releases';
import { invalidParams } from '../errors';

const CONFIG_VAR_NAME = /^\w+$/;
/** Heroku caps an app's config vars at 32 kB in total. */
const MAX_CONFIG_BYTES = 32 * 1024;

/**
 * Checks a PATCH body: an object whose values are strings (set) or null
 * (delete). Returns the keys to set and to remove, in request order.
 */
function parseChanges(body: unknown): { set: Record<string, string>; removed: string[] } {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw invalidParams('Invalid params: the body must be an object of config var names to string values or null.');
  }
  const set: Record<string, string> = {};
  const removed: string[] = [];
  for (const [key, value] of Object.entries(body)) {
    if (!CONFIG_VAR_NAME.test(key)) {
      throw invalidParams(
        `Invalid config var name ${JSON.stringify(key)}: names may only contain letters, digits and underscores.`,
      );
    }
    if (value === null) removed.push(key);
    else if (typeof value === 'string') set[key] = value;
    else throw invalidParams(`Invalid params: ${key}: expected string or null, received ${typeof value}.`);
  }
  return { set, removed };
}

function describe(setKeys: readonly string[], removed: readonly string[]): string {
  if (removed.length === 0) return `Set ${setKeys.join(', ')} config vars`;
  if (setKeys.length === 0) return `Remove ${removed.join(', ')} config vars`;
  return `Set ${setKeys.join(', ')} and remove ${removed.join(', ')} config vars`;
}

export function configVarsRouter(ctx: SimulatorContext): Router {
  const router = Router();

  router.get('/apps/:app/config-vars', (req, res) => {
    res.json(ctx.store.requireApp(req.params.app).config_vars);
  });

  // Any config change restarts the app and creates a release; the CLI reads
  // the newest release right after to print "done, vNN".
  router.patch('/apps/:app/config-vars', (req, res) => {
    const app = ctx.store.requireApp(req.params.app);
    const { set, removed } = parseChanges(req.body);
    const setKeys = Object.keys(set);
    if (setKeys.length === 0 && removed.length === 0) {
      res.json(app.config_vars);
      return;
    }

    const next: Record<string, string> = { ...app.config_vars, ...set };
    for (const key of removed) delete next[key];
    const bytes = Object.entries(next).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
    if (bytes > MAX_CONFIG_BYTES) {
      throw invalidParams(`Config vars would total ${bytes} bytes; the limit is ${MAX_CONFIG_BYTES} bytes per app.`);
    }

    app.config_vars = next;
    ctx.effects.record('config_vars', app.name, { set, removed });
    createRelease(ctx, app, describe(setKeys, removed));
    ctx.store.save();
    res.json(app.config_vars);
  });

  return router;
}
