import { randomUUID } from 'node:crypto';
import { herokuTime } from '../clock';
import type { SimulatorContext } from '../context';
import { ApiError, invalidParams } from '../errors';
import type { AddonRecord } from '../state-addons';
import type { AppRecord } from '../state';
import { type AddonPlan, POSTGRES_SERVICE, configVarNames, fakeConfigValue, generateAddonName } from './addon-catalog';
import { type Located, allAddons, appById, attachmentsOfApp, findAddon, planOf } from './addons';
import { emptyDatabaseContent } from './databases';
import { createRelease } from './releases';

/**
 * Creating and destroying add-ons. As on Heroku, config vars appear and a release is made when an add-on is
 * provisioned: at once for most services, after `postgresProvisionMs` of simulated time for Heroku Postgres
 * (applied lazily, see settle.ts).
 */

export interface CreateAddonRequest {
  plan: AddonPlan;
  name?: string;
  attachmentName?: string;
  config: Record<string, string | boolean>;
  confirm?: string;
}

const COLORS = [
  'AMBER',
  'BLUE',
  'BRONZE',
  'CHARCOAL',
  'COBALT',
  'CRIMSON',
  'GOLD',
  'GRAY',
  'GREEN',
  'IVORY',
  'JADE',
  'MAROON',
  'NAVY',
  'OLIVE',
  'ONYX',
  'ORANGE',
  'PINK',
  'PURPLE',
  'RED',
  'ROSE',
  'SILVER',
  'TEAL',
  'WHITE',
  'YELLOW',
];

/** Names a new attachment may not take without confirmation: attachments and config vars the app already has. */
function conflicts(ctx: SimulatorContext, app: AppRecord, plan: AddonPlan, name: string): boolean {
  if (attachmentsOfApp(ctx.store.state, app).some(({ attachment }) => attachment.name === name)) return true;
  return configVarNames(plan.service, name).some((key) => key in app.config_vars);
}

/** The first Postgres is DATABASE, later ones HEROKU_POSTGRESQL_<COLOR>; other services get a color suffix. */
function defaultAttachmentName(ctx: SimulatorContext, app: AppRecord, plan: AddonPlan): string {
  const base = plan.service.defaultAttachment;
  if (!conflicts(ctx, app, plan, base)) return base;
  const prefix = plan.service.name === POSTGRES_SERVICE ? 'HEROKU_POSTGRESQL' : base;
  const free = COLORS.map((color) => `${prefix}_${color}`).find((name) => !conflicts(ctx, app, plan, name));
  if (!free) throw invalidParams(`Too many ${plan.service.humanName} attachments on ${app.name}.`);
  return free;
}

export function createAddon(ctx: SimulatorContext, app: AppRecord, request: CreateAddonRequest): Located {
  const { plan } = request;
  const state = ctx.store.state;
  if (request.name !== undefined) {
    if (!/^[a-z][a-z0-9-]*$/.test(request.name)) {
      throw invalidParams('Name must start with a letter and can only contain lowercase letters, numbers, and dashes.');
    }
    if (findAddon(state, request.name)) throw invalidParams(`Name ${request.name} is already taken.`);
  }
  let attachmentName = request.attachmentName?.toUpperCase();
  if (attachmentName !== undefined) {
    if (!/^[A-Z][A-Z0-9_]*$/.test(attachmentName)) {
      throw invalidParams(
        'Attachment name must start with a letter and can only contain letters, numbers, and underscores.',
      );
    }
    if (conflicts(ctx, app, plan, attachmentName)) {
      // The CLI answers this by asking the user and retrying with `confirm: <app>`.
      if (request.confirm !== app.name) {
        throw new ApiError(
          422,
          'confirmation_required',
          `${attachmentName} is already in use on ${app.name}; confirm to replace it.`,
        );
      }
      detachByName(ctx, app, attachmentName);
    }
  } else {
    attachmentName = defaultAttachmentName(ctx, app, plan);
  }

  const nowMs = ctx.clock.now().getTime();
  const now = herokuTime(new Date(nowMs));
  const name =
    request.name ?? generateAddonName(plan.service, (candidate) => findAddon(state, candidate) !== undefined);
  const provisionMs = plan.service.provisionsAsync ? ctx.time.realMs(ctx.dataApi.current.postgresProvisionMs) : 0;
  const addon: AddonRecord = {
    id: randomUUID(),
    name,
    plan: plan.name,
    state: provisionMs > 0 ? 'provisioning' : 'provisioned',
    provisioned_at: provisionMs > 0 ? new Date(nowMs + provisionMs).toISOString() : null,
    config: request.config,
    attachments: [
      { id: randomUUID(), name: attachmentName, app_id: app.id, namespace: null, created_at: now, updated_at: now },
    ],
    database:
      plan.service.name === POSTGRES_SERVICE ? { content: emptyDatabaseContent(name, now), schedule: null } : null,
    provider_id: `resource-${randomUUID()}`,
    created_at: now,
    updated_at: now,
  };
  app.addons.push(addon);
  ctx.effects.record('addon-create', app.name, {
    addon: addon.name,
    id: addon.id,
    plan: plan.name,
    attachment: attachmentName,
  });
  if (addon.state === 'provisioned') attachConfigVars(ctx, app, addon);
  return { app, addon };
}

/** Finishes provisioning: the add-on's config vars are set and its attachments released. */
export function completeProvisioning(ctx: SimulatorContext, app: AppRecord, addon: AddonRecord): void {
  addon.state = 'provisioned';
  addon.provisioned_at = null;
  addon.updated_at = herokuTime(ctx.clock.now());
  attachConfigVars(ctx, app, addon);
}

function attachConfigVars(ctx: SimulatorContext, billingApp: AppRecord, addon: AddonRecord): void {
  const service = planOf(addon).service;
  for (const attachment of addon.attachments) {
    const app = appById(ctx.store.state, attachment.app_id);
    for (const suffix of service.configVarSuffixes) {
      app.config_vars[`${attachment.name}_${suffix}`] = fakeConfigValue(service, suffix, addon.name);
    }
    release(ctx, app, `Attach ${attachment.name} (@ref:${addon.name})`);
  }
  billingApp.updated_at = addon.updated_at;
}

/** Removes an attachment of another add-on (confirmed replacement) together with its config vars. */
function detachByName(ctx: SimulatorContext, app: AppRecord, name: string): void {
  for (const { addon } of allAddons(ctx.store.state)) {
    const index = addon.attachments.findIndex((a) => a.app_id === app.id && a.name === name);
    if (index === -1) continue;
    addon.attachments.splice(index, 1);
    for (const key of configVarNames(planOf(addon).service, name)) delete app.config_vars[key];
    release(ctx, app, `Detach ${name} (@ref:${addon.name})`);
  }
}

export function destroyAddon(ctx: SimulatorContext, { app, addon }: Located): void {
  const wasProvisioned = addon.state === 'provisioned';
  app.addons.splice(app.addons.indexOf(addon), 1);
  addon.state = 'deprovisioned';
  addon.updated_at = herokuTime(ctx.clock.now());
  ctx.effects.record('addon-delete', app.name, { addon: addon.name, id: addon.id, plan: addon.plan });
  // A provisioning add-on never set its config vars, so there is nothing to release.
  if (!wasProvisioned) return;
  const service = planOf(addon).service;
  for (const attachment of addon.attachments) {
    const attachedApp = appById(ctx.store.state, attachment.app_id);
    for (const key of configVarNames(service, attachment.name)) delete attachedApp.config_vars[key];
    release(ctx, attachedApp, `Detach ${attachment.name} (@ref:${addon.name})`);
  }
}

/** A release whose add-on plan list is the app's provisioned add-ons after the change. */
function release(ctx: SimulatorContext, app: AppRecord, description: string): void {
  const created = createRelease(ctx, app, description);
  created.addon_plan_names = app.addons.filter((a) => a.state === 'provisioned').map((a) => a.plan);
}
