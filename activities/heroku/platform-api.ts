import type {
  Account,
  App,
  ConfigVars,
  Dyno,
  Formation,
  Release,
  TeamAppCollaborator,
  TeamMember,
} from '@heroku-cli/schema';
import { ApplicationFailure } from '@temporalio/common';
import { FailureTypes } from '../../common/errors';
import type { ReleaseRef } from '../../common/maintenance';
import type { HerokuConnection } from './connection';
import { HerokuApiClient, type HerokuClientOptions } from './request';

/** A config-var change: a string sets the var, null removes it. */
export type ConfigVarPatch = Record<string, string | null>;

/** The Heroku Platform API (HEROKU_API_URL) as the runbooks use it. */
export class PlatformApi extends HerokuApiClient {
  constructor(connection: HerokuConnection, options: HerokuClientOptions = {}) {
    super(connection.apiUrl, connection.apiKey, options);
  }

  /** The account the token belongs to: the worker checks its token with this before it starts. */
  account(): Promise<Account> {
    return this.request('GET', '/account');
  }

  /**
   * What Heroku says the token has left of its rate limit. Free: Heroku does not count this request (reference
   * §2.6), so the worker can set the shared budget by it before it sends anything.
   */
  async readRateLimit(): Promise<number> {
    const { remaining } = await this.request<{ remaining: number }>('GET', '/account/rate-limits');
    return remaining;
  }

  /** Who may do what on a team app: each collaborator's role and permissions (view, deploy, operate, manage). */
  teamAppCollaborators(app: string): Promise<TeamAppCollaborator[]> {
    return this.request('GET', `/teams/apps/${encodeURIComponent(app)}/collaborators`);
  }

  /** A team's members and their roles (admin, member, …). */
  teamMembers(team: string): Promise<TeamMember[]> {
    return this.request('GET', `/teams/${encodeURIComponent(team)}/members`);
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

  /** The app's newest releases, newest first: one page of at most `max` (Heroku's largest page is 1000). */
  recentReleases(app: string, max = 1000): Promise<Release[]> {
    return this.request('GET', `/apps/${encodeURIComponent(app)}/releases`, {
      headers: { Range: `version ..; order=desc, max=${max}` },
      partial: true,
    });
  }

  getFormation(app: string): Promise<Formation[]> {
    return this.request('GET', `/apps/${encodeURIComponent(app)}/formation`);
  }

  /** Starts a one-off dyno. NOT idempotent: callers look for the dyno an earlier attempt started first. */
  createDyno(
    app: string,
    body: { command: string; attach: boolean; env?: Record<string, string>; time_to_live?: number },
  ): Promise<Dyno> {
    return this.request('POST', `/apps/${encodeURIComponent(app)}/dynos`, { body });
  }

  listDynos(app: string): Promise<Dyno[]> {
    return this.request('GET', `/apps/${encodeURIComponent(app)}/dynos`);
  }

  /** The dyno, or null once it is gone (a one-off that exited). */
  async findDyno(app: string, name: string): Promise<Dyno | null> {
    try {
      return await this.request<Dyno>('GET', `/apps/${encodeURIComponent(app)}/dynos/${encodeURIComponent(name)}`);
    } catch (err) {
      if (err instanceof ApplicationFailure && err.type === FailureTypes.HerokuNotFound) return null;
      throw err;
    }
  }

  async stopDyno(app: string, name: string): Promise<void> {
    await this.request('POST', `/apps/${encodeURIComponent(app)}/dynos/${encodeURIComponent(name)}/actions/stop`);
  }

  /**
   * Opens a log session (reference §3.7): its `logplex_url` streams the app's log (optionally one dyno's) as
   * Server-Sent Events, starting with the last `lines` lines; with `tail`, it stays open for new lines.
   */
  async openLogSession(app: string, options: { dyno?: string; lines: number; tail: boolean }): Promise<string> {
    const session = await this.request<{ logplex_url: string }>(
      'POST',
      `/apps/${encodeURIComponent(app)}/log-sessions`,
      { body: { ...(options.dyno && { dyno: options.dyno }), lines: options.lines, tail: options.tail } },
    );
    return session.logplex_url;
  }

  /**
   * The app's recent log lines (optionally one dyno's), through a log session: the logplex URL it returns is read
   * as Server-Sent Events until the stream ends. The URL is the capability: no token is sent to it.
   */
  async recentLogs(app: string, options: { dyno?: string; lines?: number } = {}): Promise<string[]> {
    const url = await this.openLogSession(app, { dyno: options.dyno, lines: options.lines ?? 1500, tail: false });
    const lines: string[] = [];
    for await (const batch of followLogStream(url, { app })) lines.push(...batch);
    return lines;
  }
}

/**
 * Reads a log session's stream (its `logplex_url`, another host: plain HTTP(S), no Authorization header — the URL is
 * the capability, and the Heroku token must never reach logplex), yielding the log lines of each piece the server
 * sends as it arrives, until the stream ends or `signal` aborts (the read then throws). A stream the server refuses
 * fails as Heroku being unavailable (retryable).
 */
export async function* followLogStream(
  url: string,
  { app, signal }: { app: string; signal?: AbortSignal },
): AsyncGenerator<string[]> {
  const response = await fetch(url, { headers: { Accept: 'text/event-stream' }, signal });
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw ApplicationFailure.create({
      type: FailureTypes.HerokuUnavailable,
      message: `Heroku's log stream answered ${response.status} for ${app}; retrying.`,
    });
  }
  const decoder = new TextDecoder();
  const events = new SseDataLines();
  for await (const chunk of response.body) {
    const lines = events.push(decoder.decode(chunk, { stream: true }));
    if (lines.length > 0) yield lines;
  }
  const rest = events.push(`${decoder.decode()}\n`);
  if (rest.length > 0) yield rest;
}

/**
 * The `data:` fields of a Server-Sent-Events stream, fed in pieces as they arrive (a piece may end mid-line). Each
 * field is one log line (a field cannot hold a line break); logplex sends one or more per event. Other fields
 * (`id:`, `event:`, comments) carry nothing a runbook reads.
 */
export class SseDataLines {
  private partial = '';

  push(text: string): string[] {
    const lines = (this.partial + text).split(/\r\n|\r|\n/);
    this.partial = lines.pop()!;
    return lines
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).replace(/^ /, ''))
      .filter(Boolean);
  }
}
