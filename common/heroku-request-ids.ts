// The Heroku Request-Ids a change activity's calls were answered with travel back in its result, to go on the
// change's audit record (what Heroku support asks for). An object result carries them as a field, which code that
// does not know of it ignores. A list (the formation a scale left) must be wrapped to carry them, which code that
// does not know of it would choke on: it is wrapped only when the request asks (`REQUEST_IDS_WANTED`), as
// RunbookRun.change does, unwrapping it before anyone else sees it. So a worker of either version, in a fleet being
// upgraded, gets what it understands.

/** The request field by which a workflow asks for a list result's Request-Ids. */
export const REQUEST_IDS_WANTED = 'herokuRequestIdsWanted';

/** What a change activity's result carries besides its own fields. */
export interface HerokuRequestIds {
  /** The `Request-Id` of each changing (non-GET) request the activity made to Heroku, in order. */
  herokuRequestIds: string[];
}

/** A list result with its Request-Ids. */
export interface ListWithRequestIds extends HerokuRequestIds {
  herokuList: unknown[];
}

export function attachRequestIds(value: unknown, requestIds: string[], request: unknown): unknown {
  if (Array.isArray(value)) {
    const wanted = typeof request === 'object' && request !== null && REQUEST_IDS_WANTED in request;
    return wanted ? ({ herokuList: value, herokuRequestIds: requestIds } satisfies ListWithRequestIds) : value;
  }
  if (typeof value !== 'object' || value === null) return value;
  return { ...value, herokuRequestIds: requestIds };
}

/** The result as the activity returned it, and the Request-Ids that came with it (none from an older worker). */
export function detachRequestIds(result: unknown): { value: unknown; requestIds: string[] | null } {
  if (typeof result !== 'object' || result === null) return { value: result, requestIds: null };
  const ids = (result as Partial<HerokuRequestIds>).herokuRequestIds;
  const requestIds = Array.isArray(ids) ? ids : null;
  if (Array.isArray((result as Partial<ListWithRequestIds>).herokuList))
    return { value: (result as ListWithRequestIds).herokuList, requestIds };
  return { value: result, requestIds };
}

/** The request with the ask for a list result's Request-Ids. */
export function askingForRequestIds<T>(request: T): T {
  return typeof request === 'object' && request !== null && !Array.isArray(request)
    ? { ...request, [REQUEST_IDS_WANTED]: true }
    : request;
}
