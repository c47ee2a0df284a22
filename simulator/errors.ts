import type { ErrorRequestHandler, Response } from 'express';

/**
 * An error the API reports to the client. Heroku error bodies are always
 * `{id, message}` plus optional extras (`resource` on not_found, `url` on
 * rate_limit); the CLI shows a raw HTTPError when `message` is missing.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly id: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export function notFound(resource: string, message: string): ApiError {
  return new ApiError(404, 'not_found', message, { resource });
}

export function invalidParams(message: string): ApiError {
  return new ApiError(422, 'invalid_params', message);
}

export function sendError(res: Response, error: ApiError): void {
  res.status(error.status).json({ id: error.id, message: error.message, ...error.extra });
}

/** Heroku's answer for any path/verb combination it does not serve. */
export const endpointNotFound = new ApiError(
  404,
  'not_found',
  'The requested API endpoint was not found. Are you using the right HTTP verb (i.e. `GET` vs. `POST`), ' +
    'and did you specify your intended version with the `Accept` header?',
);

interface HttpLikeError {
  status?: number;
  type?: string;
  message?: string;
}

/**
 * Last express handler: ApiErrors become their JSON body, body-parser
 * failures become 400 bad_request, anything else is a simulator bug and is
 * reported as a 500 in Heroku's shape (and logged, since nobody else will).
 */
export const errorHandler: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
  if (err instanceof ApiError) {
    sendError(res, err);
    return;
  }
  const httpError = err as HttpLikeError;
  if (typeof httpError.status === 'number' && httpError.status >= 400 && httpError.status < 500) {
    const message =
      httpError.type === 'entity.parse.failed' ? 'Request body is not valid JSON.' : String(httpError.message);
    sendError(res, new ApiError(httpError.status, 'bad_request', message));
    return;
  }
  console.error('heroku simulator: unhandled error', err);
  sendError(res, new ApiError(500, 'internal_server_error', 'Internal server error.'));
};
