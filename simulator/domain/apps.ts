import { stableId } from '../ids';
import type { AppRecord } from '../state';

export const APP_NAME_PATTERN = /^[a-z][a-z0-9-]{1,28}[a-z0-9]$/;

/** Stacks the simulator knows; `build_stack` updates must name one of them. */
export const STACKS: ReadonlyArray<{ id: string; name: string }> = ['heroku-20', 'heroku-22', 'heroku-24'].map(
  (name) => ({ id: stableId('stack', name), name }),
);

/** Stacks are referenced by name or id. */
export function findStack(idOrName: string): { id: string; name: string } | undefined {
  const wanted = idOrName.toLowerCase();
  return STACKS.find((stack) => stack.name === wanted || stack.id === wanted);
}

/** The app object exactly as the Platform API renders it (schema fields, Cedar generation). */
export function appView(app: AppRecord) {
  return {
    acm: app.acm,
    archived_at: null,
    buildpack_provided_description: app.buildpack_provided_description,
    build_stack: app.build_stack,
    created_at: app.created_at,
    generation: app.generation,
    git_url: `https://git.heroku.com/${app.name}.git`,
    id: app.id,
    internal_routing: app.internal_routing,
    maintenance: app.maintenance,
    name: app.name,
    owner: app.owner,
    organization: app.team,
    team: app.team,
    region: app.region,
    released_at: app.released_at,
    repo_size: app.repo_size,
    slug_size: app.slug_size,
    space: null,
    stack: app.stack,
    updated_at: app.updated_at,
    web_url: `https://${app.name}.herokuapp.com/`,
  };
}

export function appRef(app: AppRecord): { id: string; name: string } {
  return { id: app.id, name: app.name };
}
