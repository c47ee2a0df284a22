import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import type { SimulatorContext } from '../context';
import { configVarNames, findPlan } from '../domain/addon-catalog';
import { createAddon, destroyAddon } from '../domain/addon-lifecycle';
import {
  type Located,
  type LocatedAttachment,
  addonNotFound,
  addonView,
  allAddons,
  allAttachments,
  attachmentView,
  attachmentsOfApp,
  headerSet,
  planOf,
  requireAddon,
  requireAddonOfApp,
} from '../domain/addons';
import { invalidParams, notFound } from '../errors';
import { sendList } from '../range';
import type { AppRecord } from '../state';
import { parseBody } from '../validate';

const createBody = z.object({
  // The schema documents a plan name or UUID; the CLI sends `{name}`.
  plan: z.union([z.string(), z.object({ id: z.string().optional(), name: z.string().optional() })]),
  name: z.string().nullish(),
  attachment: z.object({ name: z.string().nullish() }).nullish(),
  config: z.record(z.string(), z.union([z.string(), z.boolean()])).nullish(),
  confirm: z.string().nullish(),
});
const addonResolveBody = z.object({
  addon: z.string().min(1),
  app: z.string().nullish(),
  addon_service: z.string().nullish(),
});
const attachmentResolveBody = z.object({
  addon_attachment: z.string().min(1),
  app: z.string().nullish(),
  addon_service: z.string().nullish(),
});

const attachmentNotFound = () => notFound('add_on attachment', "Couldn't find that add on attachment.");

const byIdOrName = {
  id: (item: Located) => item.addon.id,
  name: (item: Located) => item.addon.name,
};
const attachmentKeys = {
  id: (item: LocatedAttachment) => item.attachment.id,
  name: (item: LocatedAttachment) => item.attachment.name,
};

/** `otherapp::NAME` switches the app the name is looked up on, as in the CLI's resolvers. */
function splitAppPrefix(identity: string, app: string | null | undefined): [string | undefined, string] {
  const match = /^(.+?)::(.+)$/.exec(identity);
  return match ? [match[1], match[2]] : [app ?? undefined, identity];
}

export function addonsRouter(ctx: SimulatorContext): Router {
  const router = Router();
  const state = () => ctx.store.state;
  const expansion = (req: Request) => headerSet(req.headers['accept-expansion']);
  const inclusion = (req: Request) => headerSet(req.headers['accept-inclusion']);
  const attachments = (req: Request, res: Response, items: LocatedAttachment[]) =>
    sendList(req, res, items, attachmentKeys, (item) => attachmentView(state(), item, inclusion(req)));

  /** Add-ons billed to the app, and add-ons of other apps attached to it. */
  const addonsOfApp = (app: AppRecord): Located[] =>
    allAddons(state()).filter((item) => item.app === app || item.addon.attachments.some((a) => a.app_id === app.id));

  router.get('/apps/:app/addons', (req, res) => {
    const app = ctx.store.requireApp(req.params.app);
    sendList(req, res, addonsOfApp(app), byIdOrName, (item) => addonView(item, expansion(req)));
  });

  router.get('/apps/:app/addons/:addon', (req, res) => {
    const app = ctx.store.requireApp(req.params.app);
    res.json(addonView(requireAddonOfApp(state(), app, req.params.addon), expansion(req)));
  });

  router.post('/apps/:app/addons', (req, res) => {
    const app = ctx.store.requireApp(req.params.app);
    const body = parseBody(createBody, req.body);
    const planIdentity = typeof body.plan === 'string' ? body.plan : (body.plan.name ?? body.plan.id ?? '');
    const plan = findPlan(planIdentity);
    if (!plan) {
      throw notFound('plan', `Couldn't find either the add-on service or the add-on plan of "${planIdentity}".`);
    }
    const created = createAddon(ctx, app, {
      plan,
      name: body.name ?? undefined,
      attachmentName: body.attachment?.name ?? undefined,
      config: body.config ?? {},
      confirm: body.confirm ?? undefined,
    });
    ctx.store.save();
    res.status(201).json(addonView(created, expansion(req)));
  });

  router.delete('/apps/:app/addons/:addon', (req, res) => {
    const app = ctx.store.requireApp(req.params.app);
    const located = requireAddonOfApp(state(), app, req.params.addon);
    if (located.app !== app) {
      throw invalidParams(`${located.addon.name} is billed to ${located.app.name}; destroy it from there.`);
    }
    destroyAddon(ctx, located);
    ctx.store.save();
    res.json(addonView(located, expansion(req)));
  });

  router.get('/addons', (req, res) => {
    sendList(req, res, allAddons(state()), byIdOrName, (item) => addonView(item, expansion(req)));
  });

  router.get('/addons/:addon', (req, res) => {
    res.json(addonView(requireAddon(state(), req.params.addon), expansion(req)));
  });

  router.get('/addons/:addon/addon-attachments', (req, res) => {
    const { addon } = requireAddon(state(), req.params.addon);
    attachments(
      req,
      res,
      allAttachments(state()).filter((item) => item.addon === addon),
    );
  });

  router.get('/addon-attachments', (req, res) => {
    attachments(req, res, allAttachments(state()));
  });

  router.get('/apps/:app/addon-attachments', (req, res) => {
    attachments(req, res, attachmentsOfApp(state(), ctx.store.requireApp(req.params.app)));
  });

  router.get('/apps/:app/addon-attachments/:attachment', (req, res) => {
    const app = ctx.store.requireApp(req.params.app);
    const wanted = req.params.attachment;
    const found = attachmentsOfApp(state(), app).find(
      ({ attachment }) => attachment.id === wanted.toLowerCase() || attachment.name === wanted.toUpperCase(),
    );
    if (!found) throw attachmentNotFound();
    res.json(attachmentView(state(), found, inclusion(req)));
  });

  // Resolvers answer arrays; an empty result is a 404 whose `resource` the CLI checks before falling back.
  router.post('/actions/addons/resolve', (req, res) => {
    const body = parseBody(addonResolveBody, req.body);
    const [appName, identity] = splitAppPrefix(body.addon, body.app);
    const app = appName === undefined ? undefined : ctx.store.requireApp(appName);
    const matches = allAddons(state()).filter(
      ({ addon }) =>
        addon.id === identity.toLowerCase() ||
        addon.name === identity ||
        (app !== undefined && addon.attachments.some((a) => a.app_id === app.id && a.name === identity.toUpperCase())),
    );
    const result = matches.filter(
      ({ addon }) => !body.addon_service || planOf(addon).service.name === body.addon_service,
    );
    if (result.length === 0) throw addonNotFound();
    res.json(result.map((item) => addonView(item, expansion(req))));
  });

  router.post('/actions/addon-attachments/resolve', (req, res) => {
    const body = parseBody(attachmentResolveBody, req.body);
    const [appName, identity] = splitAppPrefix(body.addon_attachment, body.app);
    const app = appName === undefined ? undefined : ctx.store.requireApp(appName);
    const upper = identity.toUpperCase();
    const candidates = app ? attachmentsOfApp(state(), app) : allAttachments(state());
    // Attachment and config var names only mean something on an app; ids and add-on names are global.
    const result = candidates.filter(({ addon, attachment }) => {
      const service = planOf(addon).service;
      if (body.addon_service && service.name !== body.addon_service) return false;
      if (attachment.id === identity.toLowerCase() || addon.id === identity.toLowerCase() || addon.name === identity)
        return true;
      return (
        app !== undefined && (attachment.name === upper || configVarNames(service, attachment.name).includes(upper))
      );
    });
    if (result.length === 0) throw attachmentNotFound();
    res.json(result.map((item) => attachmentView(state(), item, inclusion(req))));
  });

  return router;
}
