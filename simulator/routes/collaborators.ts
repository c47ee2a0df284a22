import { Router } from 'express';
import type { SimulatorContext } from '../context';
import { collaboratorViews } from '../domain/people';

/**
 * Who has access to an app and with which permissions. `heroku access` reads `/apps/{app}/collaborators` (and the
 * team's admins from `/teams/{team}/members`); the team-specific `/teams/apps/{app}/collaborators` answers the same.
 */
export function collaboratorsRouter(ctx: SimulatorContext): Router {
  const router = Router();

  for (const path of ['/apps/:app/collaborators', '/teams/apps/:app/collaborators']) {
    router.get(path, (req, res) => {
      const app = ctx.store.requireApp(String(req.params.app));
      res.json(collaboratorViews(ctx.store.state, app));
    });
  }

  return router;
}
