import { Router } from 'express';
import type { SimulatorContext } from '../context';
import { releaseView, requireRelease } from '../domain/releases';
import { sendList } from '../range';
import type { ReleaseRecord } from '../state';

export function releasesRouter(ctx: SimulatorContext): Router {
  const router = Router();

  // Version is the default Range field so an un-ranged list reads oldest to newest.
  router.get('/apps/:app/releases', (req, res) => {
    const app = ctx.store.requireApp(req.params.app);
    sendList(
      req,
      res,
      app.releases,
      { version: (r: ReleaseRecord) => r.version, id: (r: ReleaseRecord) => r.id },
      (release) => releaseView(app, release),
    );
  });

  router.get('/apps/:app/releases/:release', (req, res) => {
    const app = ctx.store.requireApp(req.params.app);
    res.json(releaseView(app, requireRelease(app, req.params.release)));
  });

  return router;
}
