import { randomUUID } from 'node:crypto';
import type { Response } from 'express';
import { type Clock, herokuTime } from './clock';
import type { DynoRuntime } from './dyno-runtime';
import { type LogFilter, type LogLine, appLogLines, formatLogLine, matchesFilter } from './logs';
import type { Store } from './store';

export interface LogSession {
  id: string;
  appId: string;
  filter: LogFilter;
  /** How many past lines to send first. */
  lines: number;
  tail: boolean;
  created_at: string;
}

/** Logplex keeps the last 1500 lines of an app; asking for more gets those. */
export const MAX_LOG_LINES = 1500;
/** The CLI asks for 100 unless told otherwise; so does logplex. */
export const DEFAULT_LOG_LINES = 100;
/**
 * A tailing stream is woken by dyno changes and at the time of the next planned line; it also looks for new
 * `app[api]` lines (releases, scaling) this often, since those come from other parts of the simulator (real ms).
 */
const TAIL_POLL_MS = 250;

/**
 * Log sessions and their Server-Sent-Events streams (reference §3.7). The session URL is the capability: like
 * logplex's, it needs no API token. Sessions live in memory only; a reset or a restart forgets them.
 */
export class LogSessions {
  private readonly sessions = new Map<string, LogSession>();
  /** The open streams: how to end each one cleanly, or to cut its connection. */
  private readonly open = new Set<{ end: () => void; cut: () => void }>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly dynos: DynoRuntime,
  ) {}

  create(appId: string, options: { filter: LogFilter; lines?: number; tail?: boolean }): LogSession {
    const session: LogSession = {
      id: randomUUID(),
      appId,
      filter: options.filter,
      lines: Math.min(options.lines ?? DEFAULT_LOG_LINES, MAX_LOG_LINES),
      tail: options.tail ?? false,
      created_at: herokuTime(this.clock.now()),
    };
    this.sessions.set(session.id, session);
    return session;
  }

  get(id: string): LogSession | undefined {
    return this.sessions.get(id);
  }

  /** Ends every open stream and forgets the sessions. */
  reset(): void {
    this.close();
    this.sessions.clear();
  }

  /** Ends every open stream, so the HTTP server can close. */
  close(): void {
    for (const stream of [...this.open]) stream.end();
  }

  /** How many streams are open (tailing clients connected). */
  openStreams(): number {
    return this.open.size;
  }

  /**
   * What logplex does to tailing clients now and then (a session timing out, a router restarting): every open stream
   * ends, cleanly (`end`: the client sees the stream finish) or by its connection being cut (`cut`: the client sees
   * an error). The sessions stay valid. Returns how many streams were open.
   */
  drop(how: 'end' | 'cut'): number {
    const streams = [...this.open];
    for (const stream of streams) stream[how]();
    return streams.length;
  }

  /**
   * Sends the last `lines` lines, then either ends (the CLI then exits) or, when tailing, keeps sending new lines as
   * they happen until the client goes away.
   */
  stream(session: LogSession, res: Response): void {
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache' });
    res.flushHeaders();
    // One event per line; keys remember what was sent (or skipped as older than `lines`).
    const sent = new Set<string>();
    const send = (lines: readonly LogLine[]) => {
      if (lines.length > 0) res.write(lines.map((line) => `data: ${formatLogLine(line)}\n\n`).join(''));
    };

    const first = this.lines(session);
    if (first) {
      for (const line of first.due) sent.add(line.key);
      send(first.due.slice(first.due.length - Math.min(session.lines, first.due.length)));
    }
    if (!first || !session.tail) {
      res.end();
      return;
    }

    let timer: NodeJS.Timeout | undefined;
    const pump = () => {
      clearTimeout(timer);
      const current = this.lines(session);
      if (!current) return end();
      const fresh = current.due.filter((line) => !sent.has(line.key));
      for (const line of fresh) sent.add(line.key);
      send(fresh);
      timer = setTimeout(pump, Math.min(TAIL_POLL_MS, current.nextAt - this.clock.now().getTime()));
    };
    const unsubscribe = this.dynos.onChange(pump);
    const stop = () => {
      clearTimeout(timer);
      unsubscribe();
      this.open.delete(stream);
    };
    const end = () => {
      stop();
      res.end();
    };
    const stream = {
      end,
      cut: () => {
        stop();
        res.socket?.destroy();
      },
    };
    this.open.add(stream);
    res.on('close', end);
    pump();
  }

  /** The session's lines due by now, and when its next planned line is; undefined once the app is gone. */
  private lines(session: LogSession): { due: LogLine[]; nextAt: number } | undefined {
    const app = this.store.state.apps.find((a) => a.id === session.appId);
    if (!app) return undefined;
    this.dynos.settle();
    const now = this.clock.now().getTime();
    const lines = appLogLines(this.store.state, app).filter((line) => matchesFilter(line, session.filter));
    return {
      due: lines.filter((line) => line.at <= now),
      nextAt: lines.find((line) => line.at > now)?.at ?? Infinity,
    };
  }
}
