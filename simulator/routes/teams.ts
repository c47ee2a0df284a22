import { Router } from 'express';
import { callerOf } from '../auth';
import type { SimulatorContext } from '../context';
import { PERMISSIONS, memberView, requireTeam, teamAppView, teamView } from '../domain/people';
import { sendList } from '../range';
import type { AppRecord } from '../state';
import type { TeamMemberRecord } from '../state-people';

/** Teams as their members see them: the team, its members, its apps, and the permissions a team app can grant. */
export function teamsRouter(ctx: SimulatorContext): Router {
  const router = Router();

  // Before `/teams/:team`, which would otherwise take "permissions" for a team's name.
  router.get('/teams/permissions', (_req, res) => {
    res.json(PERMISSIONS.map((permission) => ({ ...permission })));
  });

  router.get('/teams/:team', (req, res) => {
    const { account } = callerOf(res);
    res.json(teamView(requireTeam(ctx.store.state, req.params.team, account), account));
  });

  router.get('/teams/:team/members', (req, res) => {
    const { account } = callerOf(res);
    const state = ctx.store.state;
    const team = requireTeam(state, req.params.team, account);
    const byEmail = (member: TeamMemberRecord) => memberView(state, member).email;
    sendList(req, res, team.members, { email: byEmail, id: (member: TeamMemberRecord) => member.id }, (member) =>
      memberView(state, member),
    );
  });

  // `heroku apps --team <team>` lists these.
  router.get('/teams/:team/apps', (req, res) => {
    const { account } = callerOf(res);
    const team = requireTeam(ctx.store.state, req.params.team, account);
    const apps = ctx.store.state.apps.filter((app) => app.team?.id === team.id);
    const sortKeys = { id: (app: AppRecord) => app.id, name: (app: AppRecord) => app.name };
    sendList(req, res, apps, sortKeys, (app) => teamAppView(app, account));
  });

  return router;
}
