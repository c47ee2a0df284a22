import { readFileSync } from 'node:fs';
import { type TLSSocket, connect } from 'node:tls';
import type { RunningSimulator } from '../../simulator';
import { type Json, type RawResponse, api, control } from './helpers';

/** Simulated durations run `speed` times faster (one-offs take the speed in force when they start). */
export async function setSpeed(sim: RunningSimulator, speed: number): Promise<void> {
  await control(sim, 'PUT', '/clock', { speed });
}

/** Polls `probe` until it returns something other than undefined. */
export async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function createDyno(sim: RunningSimulator, app: string, body: Record<string, unknown>): Promise<RawResponse> {
  return api(sim, `/apps/${app}/dynos`, { method: 'POST', body });
}

/** Waits until GET on the dyno answers 404: the one-off has ended. */
export function waitUntilGone(sim: RunningSimulator, app: string, name: string): Promise<true> {
  return waitFor(async () => ((await api(sim, `/apps/${app}/dynos/${name}`)).status === 404 ? true : undefined));
}

export async function effectsOf(sim: RunningSimulator, kind: string): Promise<Json[]> {
  return (await control(sim, 'GET', '/effects')).filter((effect: Json) => effect.kind === kind);
}

export async function createLogSession(
  sim: RunningSimulator,
  app: string,
  body: Record<string, unknown>,
): Promise<string> {
  const response = await api(sim, `/apps/${app}/log-sessions`, { method: 'POST', body });
  if (response.status !== 201) throw new Error(`log-session create failed: ${response.status}`);
  return response.body.logplex_url;
}

/**
 * Reads a log stream (Server-Sent Events) as the CLI does, without credentials: every `data:` payload, until the
 * server ends the stream, or until `until` holds for the lines so far (then the client hangs up).
 */
export async function readLogStream(url: string, until?: (lines: string[]) => boolean): Promise<string[]> {
  const abort = new AbortController();
  const response = await fetch(url, { headers: { Accept: 'text/event-stream' }, signal: abort.signal });
  if (response.status !== 200) throw new Error(`log stream answered ${response.status}`);
  const lines: string[] = [];
  const decoder = new TextDecoder();
  let pending = '';
  const reader = response.body!.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return lines;
      pending += decoder.decode(value, { stream: true });
      const events = pending.split('\n\n');
      pending = events.pop()!;
      for (const event of events) lines.push(event.replace(/^data: /, ''));
      if (until?.(lines)) return lines;
    }
  } finally {
    abort.abort();
  }
}

/** The message part of a Heroku log line: `2024-…+00:00 heroku[run.1234]: Awaiting client` → `heroku[run.1234]: Awaiting client`. */
export function withoutTimestamp(line: string): string {
  return line.replace(/^\S+ /, '');
}

export interface RendezvousClient {
  socket: TLSSocket;
  /** Everything received so far. */
  received(): string;
  /** Resolves with everything received once the server closes the connection. */
  closed: Promise<string>;
}

/** Connects to a dyno's attach_url as the CLI does: TLS trusting only the simulator's certificate, then the secret. */
export async function attachTo(sim: RunningSimulator, attachUrl: string): Promise<RendezvousClient> {
  const url = new URL(attachUrl);
  const socket = connect({ host: url.hostname, port: Number(url.port), ca: readFileSync(sim.caCertPath) });
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (text += chunk));
  const closed = new Promise<string>((resolve) => socket.on('close', () => resolve(text)));
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  socket.write(`${url.pathname.slice(1)}\r\n`);
  return { socket, received: () => text, closed };
}
