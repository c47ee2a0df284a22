import type { Request, RequestHandler } from 'express';
import { ApiError } from './errors';

/**
 * The token a request presents: `Bearer <token>` (Heroku CLI) or
 * `Basic base64(<user>:<token>)` (heroku-client sends an empty user; Heroku
 * also accepts an email there, so the user part is ignored).
 */
export function presentedToken(req: Request): string | undefined {
  const [scheme, credentials] = (req.headers.authorization ?? '').trim().split(/\s+/, 2);
  if (!credentials) return undefined;
  if (/^bearer$/i.test(scheme)) return credentials;
  if (/^basic$/i.test(scheme)) {
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon === -1 ? undefined : decoded.slice(colon + 1);
  }
  return undefined;
}

const unauthorized = new ApiError(401, 'unauthorized', 'Invalid credentials provided.');

export function authenticate(token: string): RequestHandler {
  return (req, _res, next) => {
    next(presentedToken(req) === token ? undefined : unauthorized);
  };
}
