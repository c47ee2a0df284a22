import { notFound } from '../errors';
import type { AddonRecord, AttachmentRecord } from '../state-addons';
import type { AppRecord, SimulatorState } from '../state';
import { configVarNames, planId, requirePlanNamed, serviceId, type AddonPlan } from './addon-catalog';
import { appRef } from './apps';

/** Lookups and API views of add-ons and attachments (reference §3.8). */

export interface Located {
  /** The billing app, whose `addons` holds the add-on. */
  app: AppRecord;
  addon: AddonRecord;
}

export interface LocatedAttachment extends Located {
  attachment: AttachmentRecord;
}

export function planOf(addon: AddonRecord): AddonPlan {
  return requirePlanNamed(addon.plan);
}

export function allAddons(state: SimulatorState): Located[] {
  return state.apps.flatMap((app) => app.addons.map((addon) => ({ app, addon })));
}

export function allAttachments(state: SimulatorState): LocatedAttachment[] {
  return allAddons(state).flatMap((located) =>
    located.addon.attachments.map((attachment) => ({ ...located, attachment })),
  );
}

export function attachmentsOfApp(state: SimulatorState, app: AppRecord): LocatedAttachment[] {
  return allAttachments(state).filter(({ attachment }) => attachment.app_id === app.id);
}

/** Add-on identity: UUID or globally unique name. */
export function findAddon(state: SimulatorState, idOrName: string): Located | undefined {
  const wanted = idOrName.toLowerCase();
  return allAddons(state).find(({ addon }) => addon.id === wanted || addon.name === wanted);
}

export const addonNotFound = () => notFound('add_on', "Couldn't find that add on.");

export function requireAddon(state: SimulatorState, idOrName: string): Located {
  const found = findAddon(state, idOrName);
  if (!found) throw addonNotFound();
  return found;
}

/**
 * `/apps/{app}/addons/{addon}`: an add-on billed to or attached to the app, by UUID or name, or by the name of
 * one of the app's attachments (`DATABASE`), as Heroku accepts.
 */
export function requireAddonOfApp(state: SimulatorState, app: AppRecord, identity: string): Located {
  const byIdentity = findAddon(state, identity);
  if (byIdentity && (byIdentity.app === app || byIdentity.addon.attachments.some((a) => a.app_id === app.id))) {
    return byIdentity;
  }
  const byAttachment = attachmentsOfApp(state, app).find(
    ({ attachment }) => attachment.name === identity.toUpperCase(),
  );
  if (byAttachment) return { app: byAttachment.app, addon: byAttachment.addon };
  throw addonNotFound();
}

export function appById(state: SimulatorState, id: string): AppRecord {
  const app = state.apps.find((candidate) => candidate.id === id);
  // The state schema checks attachment app ids, so this is a simulator bug.
  if (!app) throw new Error(`attachment refers to unknown app ${id}`);
  return app;
}

/** Config vars an add-on owns on its billing app, e.g. ["DATABASE_URL"]. */
export function addonConfigVars(app: AppRecord, addon: AddonRecord): string[] {
  const service = planOf(addon).service;
  return addon.attachments.filter((a) => a.app_id === app.id).flatMap((a) => configVarNames(service, a.name));
}

/** Comma-separated header values such as `Accept-Expansion: addon_service,plan`. */
export function headerSet(value: string | string[] | undefined): Set<string> {
  const text = Array.isArray(value) ? value.join(',') : (value ?? '');
  return new Set(
    text
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean),
  );
}

function planView(plan: AddonPlan, expanded: boolean) {
  const ref = { id: planId(plan.name), name: plan.name };
  if (!expanded) return ref;
  const [, short] = plan.name.split(':');
  return {
    ...ref,
    human_name: short,
    description: `${plan.service.humanName} ${short}`,
    default: Object.keys(plan.service.plans)[0] === short,
    price: { cents: plan.cents, contract: false, unit: 'month' },
    state: 'public',
    addon_service: { id: serviceId(plan.service.name), name: plan.service.name },
  };
}

function serviceView(plan: AddonPlan, expanded: boolean) {
  const ref = { id: serviceId(plan.service.name), name: plan.service.name };
  if (!expanded) return ref;
  return {
    ...ref,
    human_name: plan.service.humanName,
    cli_plugin_name: null,
    state: 'ga',
    supports_multiple_installations: true,
    supports_sharing: true,
  };
}

/** `expand` is the request's Accept-Expansion set (`addon_service`, `plan`). */
export function addonView({ app, addon }: Located, expand: ReadonlySet<string> = new Set()) {
  const plan = planOf(addon);
  return {
    actions: [],
    addon_service: serviceView(plan, expand.has('addon_service')),
    app: appRef(app),
    billed_price: { cents: plan.cents, contract: false, unit: 'month' },
    billing_entity: { id: app.id, name: app.name, type: 'app' },
    config_vars: addonConfigVars(app, addon),
    created_at: addon.created_at,
    id: addon.id,
    name: addon.name,
    plan: planView(plan, expand.has('plan')),
    provider_id: addon.provider_id,
    provision_message: null,
    state: addon.state,
    updated_at: addon.updated_at,
    web_url: `https://addons-sso.heroku.com/apps/${app.id}/addons/${addon.id}`,
  };
}

/** `include` is the request's Accept-Inclusion set (`addon:plan`, `config_vars`). */
export function attachmentView(
  state: SimulatorState,
  located: LocatedAttachment,
  include: ReadonlySet<string> = new Set(),
) {
  const { app: billingApp, addon, attachment } = located;
  const attachedApp = appById(state, attachment.app_id);
  const plan = planOf(addon);
  return {
    addon: {
      id: addon.id,
      name: addon.name,
      app: appRef(billingApp),
      ...(include.has('addon:plan') ? { plan: { id: planId(plan.name), name: plan.name } } : {}),
    },
    app: appRef(attachedApp),
    created_at: attachment.created_at,
    id: attachment.id,
    log_input_url: null,
    name: attachment.name,
    namespace: attachment.namespace,
    updated_at: attachment.updated_at,
    web_url: `https://addons-sso.heroku.com/apps/${attachedApp.id}/addons/${addon.id}`,
    ...(include.has('config_vars') ? { config_vars: configVarNames(plan.service, attachment.name) } : {}),
  };
}
