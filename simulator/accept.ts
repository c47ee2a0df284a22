import type { RequestHandler } from 'express';
import { ApiError } from './errors';

/**
 * True when the Accept header asks for Platform API v3. The CLI sends
 * variants such as `version=3.sdk`, `3.filters`, `3.pipelines`; they are all
 * version 3 for the simulator. (The Postgres data API under /client/v11 also
 * accepts plain application/json and will mount its own check.)
 */
export function acceptsPlatformV3(header: string | undefined): boolean {
  return (header ?? '').split(',').some((mediaRange) => {
    const [type, ...params] = mediaRange.split(';').map((part) => part.trim().toLowerCase());
    return (
      type === 'application/vnd.heroku+json' &&
      params.some((param) => /^version\s*=\s*"?3(\.[\w-]+)?"?$/.test(param))
    );
  });
}

const notAcceptable = new ApiError(
  406,
  'not_acceptable',
  "Please specify a version along with Heroku's API MIME type. " +
    'For example, `Accept: application/vnd.heroku+json; version=3`.',
);

export const requirePlatformV3: RequestHandler = (req, _res, next) => {
  next(acceptsPlatformV3(req.headers.accept) ? undefined : notAcceptable);
};
