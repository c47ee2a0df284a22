import type { RequestHandler } from 'express';
import { ApiError } from './errors';

/**
 * True when the Accept header asks for Platform API v3. The CLI sends
 * variants such as `version=3.sdk`, `3.filters`, `3.pipelines`; they are all
 * version 3 for the simulator.
 */
export function acceptsPlatformV3(header: string | undefined): boolean {
  return (header ?? '').split(',').some((mediaRange) => {
    const [type, ...params] = mediaRange.split(';').map((part) => part.trim().toLowerCase());
    return (
      type === 'application/vnd.heroku+json' && params.some((param) => /^version\s*=\s*"?3(\.[\w-]+)?"?$/.test(param))
    );
  });
}

const notAcceptable = new ApiError(
  406,
  'not_acceptable',
  "Please specify a version along with Heroku's API MIME type. " +
    'For example, `Accept: application/vnd.heroku+json; version=3`.',
);

/**
 * The Postgres data API is not versioned by media type: the CLI sends Heroku's v3 type, third-party clients
 * plain JSON (reference §4.1). Anything that admits JSON is accepted, as is no Accept header at all.
 */
export function acceptsDataApi(header: string | undefined): boolean {
  if (header === undefined || header.trim() === '' || acceptsPlatformV3(header)) return true;
  return header.split(',').some((mediaRange) => {
    const type = mediaRange.split(';')[0].trim().toLowerCase();
    return type === 'application/json' || type === 'application/*' || type === '*/*';
  });
}

export const DATA_API_PREFIX = '/client/v11/';

export const requirePlatformV3: RequestHandler = (req, _res, next) => {
  const accept = req.headers.accept;
  const accepted = req.path.startsWith(DATA_API_PREFIX) ? acceptsDataApi(accept) : acceptsPlatformV3(accept);
  next(accepted ? undefined : notAcceptable);
};
