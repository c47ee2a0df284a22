import type { IncomingMessage } from 'node:http';
import Heroku from 'heroku-client';
import type { App, ConfigVars, Formation, Release } from '@heroku-cli/schema';
import type { ReleaseRef } from '../../common/maintenance';
import type { HerokuConnection } from './connection';
import { herokuFailure, type HerokuRequestError } from './failures';

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  /** Do not follow Next-Range: one page is all the caller wants. */
  partial?: boolean;
}

/** A config-var change: a string sets the var, null removes it. */
export type ConfigVarPatch = Record<string, string | null>;

/**
 * The Heroku Platform API as the runbooks use it: a thin wrapper over heroku-client that turns every failure into a
 * Temporal failure with the right retry semantics.
 *
 * heroku-client's `timeout` option is never used: on expiry it silently re-sends the request, POST bodies included.
 * A hung request is bounded by the activity's own timeout instead.
 */
export class PlatformApi {
  private readonly client: Heroku;

  constructor(
    connection: HerokuConnection,
    private readonly rateLimitPauseMs?: number,
  ) {
    this.client = new Heroku({ host: connection.apiUrl, token: connection.apiKey });
  }

  getApp(app: string): Promise<App> {
    return this.request('GET', `/apps/${encodeURIComponent(app)}`);
  }

  setPlatformMaintenance(app: string, maintenance: boolean): Promise<App> {
    return this.request('PATCH', `/apps/${encodeURIComponent(app)}`, { body: { maintenance } });
  }

  /** The app's config vars. Values are secrets: callers keep them inside the activity. */
  getConfigVars(app: string): Promise<ConfigVars> {
    return this.request('GET', `/apps/${encodeURIComponent(app)}/config-vars`);
  }

  /** Applies a config change (Heroku creates a release and restarts the dynos). Returns nothing on purpose:
   * Heroku answers with every var's value, which must not leave this class. */
  async patchConfigVars(app: string, patch: ConfigVarPatch): Promise<void> {
    await this.request('PATCH', `/apps/${encodeURIComponent(app)}/config-vars`, { body: patch });
  }

  /** The app's newest release (a config change makes one), or null if it has none. */
  async latestRelease(app: string): Promise<ReleaseRef | null> {
    const [release] = await this.request<Release[]>('GET', `/apps/${encodeURIComponent(app)}/releases`, {
      headers: { Range: 'version ..; order=desc,max=1' },
      partial: true,
    });
    if (!release?.id || release.version === undefined) return null;
    return { version: release.version, id: release.id, description: release.description ?? '' };
  }

  getFormation(app: string): Promise<Formation[]> {
    return this.request('GET', `/apps/${encodeURIComponent(app)}/formation`);
  }

  async request<T>(method: Method, path: string, options: RequestOptions = {}): Promise<T> {
    let response: IncomingMessage | undefined;
    try {
      return await this.client.request({
        method,
        path,
        body: options.body,
        headers: options.headers,
        partial: options.partial,
        // heroku-client exposes no response headers; this hook keeps the last response to read them on failure.
        middleware: (res: unknown, next: () => void) => {
          response = res as IncomingMessage;
          next();
        },
      } as Parameters<Heroku['request']>[0]);
    } catch (err) {
      throw herokuFailure(describeFailure(method, path, err, response), this.rateLimitPauseMs);
    }
  }
}

function describeFailure(method: string, path: string, err: unknown, res: IncomingMessage | undefined): HerokuRequestError {
  const e = err as { statusCode?: number; body?: unknown; code?: string; message?: string };
  const body = typeof e.body === 'object' && e.body !== null ? (e.body as { id?: unknown; message?: unknown }) : {};
  const header = (name: string) => {
    const value = res?.headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const remaining = header('ratelimit-remaining');
  return {
    method,
    path,
    status: e.statusCode,
    id: typeof body.id === 'string' ? body.id : undefined,
    message:
      typeof body.message === 'string'
        ? body.message
        : typeof e.body === 'string' && e.body
          ? e.body.slice(0, 200)
          : undefined,
    requestId: e.statusCode ? header('request-id') : undefined,
    rateLimitRemaining: remaining === undefined ? undefined : Number(remaining),
    networkCode: e.statusCode ? undefined : (e.code ?? e.message),
  };
}
