// Why Temporal could not be reached, in terms of the settings to change. The SDKs say little ("Failed to connect
// before the deadline"), so after a failed connect this looks at the transport itself, with the same settings: does
// anything answer at the address, does it speak TLS, does the TLS handshake go through (the server's certificate, the
// client certificate it asks for)? Then it names the variable to change.
import net from 'node:net';
import tls from 'node:tls';
import type { TemporalConnectionSettings } from './temporal-connection';

/** What a look at the transport found. */
export type TransportFinding =
  /** Nothing accepts a TCP connection at the address (refused, unknown host, no route, no answer). */
  | { kind: 'unreachable'; detail: string }
  /** The settings say no TLS, but the server completes a TLS handshake: it wants TLS. */
  | { kind: 'server-wants-tls' }
  /** The settings say TLS, and the handshake failed at `stage`. */
  | {
      kind: 'tls-failed';
      stage: 'not-tls' | 'server-certificate' | 'server-name' | 'client-certificate' | 'other';
      detail: string;
    }
  /** Connecting, and the TLS handshake if any, work: the failure is above the transport (API key, namespace…). */
  | { kind: 'transport-ok' }
  /** The look itself gave no answer in time. */
  | { kind: 'unknown' };

/** The parts of an address `host:port` (IPv6 in brackets); the port defaults to 7233, as the SDKs' does. */
export function splitAddress(address: string): { host: string; port: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(address);
  if (bracketed) return { host: bracketed[1], port: Number(bracketed[2] ?? 7233) };
  const match = /^([^:]+)(?::(\d+))?$/.exec(address);
  return match ? { host: match[1], port: Number(match[2] ?? 7233) } : { host: address, port: 7233 };
}

export function isLoopbackAddress(address: string): boolean {
  const { host } = splitAddress(address);
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** OpenSSL's reason ("tlsv13 alert certificate required"), not its whole line; Node's own messages as they are. */
function errorDetail(err: Error): string {
  const openssl = /SSL routines:[^:]*:([^:]+):/.exec(err.message);
  return (openssl ? openssl[1] : err.message).trim().replace(/[:\s]+$/, '');
}

const UNREACHABLE = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|EADDRNOTAVAIL/;

/** Looks at the transport to Temporal with `settings` (TCP, then TLS as they configure it). Never throws. */
export function probeTemporalTransport(
  settings: TemporalConnectionSettings,
  timeoutMs = 5_000,
): Promise<TransportFinding> {
  const { host, port } = splitAddress(settings.address);
  const hostIsIp = net.isIP(host) !== 0;
  const config = settings.tls;
  return new Promise((resolve) => {
    let settled = false;
    const done = (finding: TransportFinding) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(finding);
    };
    const timer = setTimeout(() => done({ kind: 'unknown' }), timeoutMs);
    const serverName = config?.serverNameOverride ?? (hostIsIp ? undefined : host);
    const socket = tls.connect({
      host,
      port,
      servername: serverName,
      ALPNProtocols: ['h2'],
      // Without TLS in the settings this only asks whether the server speaks TLS at all.
      rejectUnauthorized: config !== undefined,
      ...(config?.serverRootCACertificate ? { ca: Buffer.from(config.serverRootCACertificate) } : {}),
      ...(config?.clientCertPair
        ? { cert: Buffer.from(config.clientCertPair.crt), key: Buffer.from(config.clientCertPair.key) }
        : {}),
    });
    let secure = false;
    socket.once('secureConnect', () => {
      secure = true;
      if (!config) return done({ kind: 'server-wants-tls' });
      // TLS 1.3: the server checks the client certificate after the client's side of the handshake is done, and
      // says so with an alert. An HTTP/2 preface gets a server that accepted us to answer (its SETTINGS).
      socket.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00');
    });
    socket.on('data', () => done({ kind: 'transport-ok' }));
    socket.on('close', () => {
      if (!secure) return; // 'error' says why
      done({
        kind: 'tls-failed',
        stage: 'client-certificate',
        detail: 'the server closed the connection after the handshake',
      });
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const detail = errorDetail(err);
      const text = `${err.code ?? ''} ${err.message}`;
      if (UNREACHABLE.test(text)) return done({ kind: 'unreachable', detail });
      // Without TLS in the settings: a server that fails a TLS handshake speaks something else (plain gRPC).
      if (!config) return done({ kind: 'transport-ok' });
      // After our side of the handshake, or as an alert during it (TLS 1.2): the server's word on our certificate.
      if (
        secure ||
        /CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_UNKNOWN|ACCESS_DENIED|HANDSHAKE_FAILURE/i.test(
          text,
        )
      )
        return done({ kind: 'tls-failed', stage: 'client-certificate', detail });
      if (/ALTNAME|Hostname\/IP does not match/i.test(text))
        return done({ kind: 'tls-failed', stage: 'server-name', detail });
      if (/CERT|SELF_SIGNED|SIGNATURE|ISSUER|verify/i.test(text))
        return done({ kind: 'tls-failed', stage: 'server-certificate', detail });
      if (
        /WRONG_VERSION|PACKET_LENGTH|UNKNOWN_PROTOCOL|ECONNRESET|before secure TLS connection|socket hang up|EPIPE/i.test(
          text,
        )
      )
        return done({ kind: 'tls-failed', stage: 'not-tls', detail });
      done({ kind: 'tls-failed', stage: 'other', detail });
    });
  });
}

/**
 * What to do about a failed connect: what the transport showed (see {@link probeTemporalTransport}), and the
 * settings to change. `error` is the SDK's; an authentication error says so by itself.
 */
export async function explainTemporalConnectionFailure(
  settings: TemporalConnectionSettings,
  error: unknown,
  probe: (settings: TemporalConnectionSettings) => Promise<TransportFinding> = probeTemporalTransport,
): Promise<string> {
  const message = error instanceof Error ? error.message : String(error);
  const fromProfile = settings.origin.configFile
    ? ` (These settings come from profile "${settings.origin.profile ?? 'default'}" of ${settings.origin.configFile}; TEMPORAL_* variables override it.)`
    : '';
  if (/UNAUTHENTICATED|PERMISSION_DENIED|unauthori[sz]ed|\bapi key\b/i.test(message)) {
    return (
      `Temporal refused the credentials: ${settings.apiKey ? 'check TEMPORAL_API_KEY' : 'it may need an API key (TEMPORAL_API_KEY) or a client certificate (TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH)'}` +
      `, and that it may use namespace ${settings.namespace} (TEMPORAL_NAMESPACE).${fromProfile}`
    );
  }
  const finding = await probe(settings);
  return `${adviceFor(settings, finding)}${fromProfile}`;
}

/** On this machine: the dev server alone, or the whole demo (dev server, simulator and a worker). */
const START_DEV_SERVER =
  'start the dev server with `npm run temporal start` (that is, `bash scripts/temporal.sh start`), or everything ' +
  'at once (dev server, simulator, worker) with `npm run demo`';

const TLS_HOW_TO =
  "set TEMPORAL_TLS=true (with the server's CA in TEMPORAL_TLS_SERVER_CA_CERT_PATH unless a CA of this machine " +
  'signed its certificate), a client certificate (TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH) if it ' +
  'asks for one, or TEMPORAL_API_KEY (Temporal Cloud); or use a profile (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE). ' +
  'See "Temporal Cloud or a TLS cluster" in the README.';

function adviceFor(settings: TemporalConnectionSettings, finding: TransportFinding): string {
  const address = settings.address;
  const config = settings.tls;
  switch (finding.kind) {
    case 'unreachable':
      return isLoopbackAddress(address)
        ? `Nothing answers at ${address} (${finding.detail}): ${START_DEV_SERVER}, or set TEMPORAL_ADDRESS to your cluster.`
        : `Nothing answers at ${address} (${finding.detail}): check TEMPORAL_ADDRESS (host:port of the Temporal frontend).`;
    case 'server-wants-tls':
      return `${address} speaks TLS, and this connection does not use it: ${TLS_HOW_TO}`;
    case 'tls-failed':
      switch (finding.stage) {
        case 'not-tls':
          return (
            `${address} does not complete a TLS handshake (${finding.detail}): it may not speak TLS; if so, set ` +
            `TEMPORAL_TLS=false${settings.apiKey ? ' (the API key would then travel unencrypted)' : ''}, else check TEMPORAL_ADDRESS.`
          );
        case 'server-name':
          return (
            `The server's certificate does not name the host you connect to (${finding.detail}): set ` +
            'TEMPORAL_TLS_SERVER_NAME to a name the certificate carries.'
          );
        case 'server-certificate':
          return config?.serverRootCACertificate
            ? `The server's certificate is not signed by the CA in TEMPORAL_TLS_SERVER_CA_CERT_PATH (${finding.detail}): give the CA that signed it.`
            : `The server's certificate is not signed by a CA this machine trusts (${finding.detail}): give the CA that signed it in TEMPORAL_TLS_SERVER_CA_CERT_PATH.`;
        case 'client-certificate':
          return config?.clientCertPair
            ? `The server refused the client certificate (${finding.detail}): use one signed by a CA the server trusts (TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH).`
            : `The server asks for a client certificate and none was given (${finding.detail}): set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH.`;
        default:
          return `The TLS handshake with ${address} failed (${finding.detail}): check the TLS settings (TEMPORAL_TLS_*).`;
      }
    case 'transport-ok':
      return (
        `The ${config ? 'TLS ' : ''}connection to ${address} works, but Temporal did not answer: check that it is the ` +
        `Temporal frontend (gRPC)${settings.apiKey ? ', that TEMPORAL_API_KEY is valid' : ''} and that namespace ` +
        `${settings.namespace} exists (TEMPORAL_NAMESPACE); it may also just be slow to start.`
      );
    default:
      return config
        ? `Check the TLS settings: the server's CA (TEMPORAL_TLS_SERVER_CA_CERT_PATH), its name (TEMPORAL_TLS_SERVER_NAME) and the client certificate (TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH)${settings.apiKey ? ', and TEMPORAL_API_KEY' : ''}.`
        : isLoopbackAddress(address)
          ? `${START_DEV_SERVER[0].toUpperCase()}${START_DEV_SERVER.slice(1)}, or set TEMPORAL_ADDRESS to your cluster; if it needs TLS or an API key, ${TLS_HOW_TO}`
          : `If it needs TLS or an API key, ${TLS_HOW_TO}`;
  }
}
