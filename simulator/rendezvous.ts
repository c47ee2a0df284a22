import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TLSSocket, createServer } from 'node:tls';
import type { SimulatorContext } from './context';
import { attachClient, findOneOff, interruptOneOff } from './domain/dynos';
import { timeline } from './domain/one-off-timeline';
import type { RendezvousEndpoint } from './dyno-runtime';
import { generateRendezvousCertificate } from './tls-certificate';

/** The CLI discards the first line it receives (reference §3.6). */
const GREETING = 'rendezvous\r\n';
/**
 * The CLI discards its whole first `data` event, so output must not arrive in the same read as the greeting: it is
 * held back this long (real ms) after the greeting.
 */
const GREETING_GAP_MS = 50;
/** A client that has not sent its secret line by then is dropped (real ms). */
const HANDSHAKE_TIMEOUT_MS = 10_000;
const MAX_SECRET_LINE_BYTES = 1024;

export interface RendezvousServer extends RendezvousEndpoint {
  close(): Promise<void>;
}

/**
 * Heroku's rendezvous for attached one-off dynos: a TLS server where the client sends `<secret>\r\n`, gets a greeting
 * line, then the process output (`\r\n` line ends) as it happens in simulated time, and the connection closes when
 * the process ends. Connecting starts the process; hanging up before it ends sends it SIGHUP. The client's stdin
 * (which the CLI ends with `\u0004`) is read and ignored: simulated commands take no input.
 */
export async function startRendezvous(ctx: SimulatorContext, host: string): Promise<RendezvousServer> {
  const { key, cert } = await generateRendezvousCertificate(host);
  const dir = mkdtempSync(join(tmpdir(), 'heroku-simulator-'));
  const certPath = join(dir, 'rendezvous-cert.pem');
  writeFileSync(certPath, cert);

  const sockets = new Set<TLSSocket>();
  let closing = false;
  const server = createServer({ key, cert }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // A client that drops mid-session is the normal case, not an error of the simulator.
    socket.on('error', () => socket.destroy());
    awaitSecret(socket, (secret) => session(ctx, socket, secret, () => closing));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  return {
    port: (server.address() as AddressInfo).port,
    certPath,
    pem: cert,
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        server.close(() => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
        for (const socket of sockets) socket.destroy();
      }),
  };
}

function awaitSecret(socket: TLSSocket, then: (secret: string) => void): void {
  let received = '';
  socket.setTimeout(HANDSHAKE_TIMEOUT_MS, () => socket.destroy());
  const onData = (chunk: Buffer) => {
    received += chunk.toString('utf8');
    const end = received.indexOf('\r\n');
    if (end === -1) {
      if (received.length > MAX_SECRET_LINE_BYTES) socket.destroy();
      return;
    }
    socket.setTimeout(0);
    socket.off('data', onData);
    // Whatever follows the secret is the client's stdin: keep draining it.
    socket.on('data', () => undefined);
    then(received.slice(0, end));
  };
  socket.on('data', onData);
}

function session(ctx: SimulatorContext, socket: TLSSocket, secret: string, closing: () => boolean): void {
  const attached = attachClient(ctx, secret);
  if (!attached) {
    socket.end();
    return;
  }
  const appId = attached.app.id;
  const dynoId = attached.record.id;
  socket.write(GREETING);
  const outputFrom = Date.now() + GREETING_GAP_MS;

  let written = 0;
  let timer: NodeJS.Timeout | undefined;
  let finished = false;
  const finish = () => {
    finished = true;
    clearTimeout(timer);
    unsubscribe();
  };
  // Writes what the process has printed by now; closes once it has ended.
  const pump = () => {
    clearTimeout(timer);
    const record = findOneOff(ctx, appId, dynoId);
    if (!record) {
      finish();
      socket.destroy();
      return;
    }
    const now = ctx.clock.now().getTime();
    if (Date.now() < outputFrom) {
      timer = setTimeout(pump, outputFrom - Date.now());
      return;
    }
    const plan = timeline(record);
    const due = plan.output.slice(written).filter((line) => line.at <= now);
    if (due.length > 0) {
      socket.write(due.map((line) => `${line.text}\r\n`).join(''));
      written += due.length;
    }
    if (plan.end.at <= now) {
      ctx.dynos.settle();
      finish();
      socket.end();
      return;
    }
    timer = setTimeout(pump, Math.min(plan.output[written]?.at ?? Infinity, plan.end.at) - now);
  };
  const unsubscribe = ctx.dynos.onChange(pump);
  socket.on('close', () => {
    if (finished) return;
    finish();
    const record = findOneOff(ctx, appId, dynoId);
    if (record && !closing()) interruptOneOff(ctx, record, 'hangup');
  });
  pump();
}
