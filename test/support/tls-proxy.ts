// A TLS front for the suite's dev server (whose `temporal server start-dev` speaks plain gRPC only): it terminates
// mutual TLS with certificates made here, and pipes the decrypted HTTP/2 to the dev server, as a TLS-terminating
// load balancer in front of a real cluster would.
import { mkdirSync, writeFileSync } from 'node:fs';
import net, { type Socket } from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { generate } from 'selfsigned';

export interface TestPki {
  /** The CA that signed the server's and the client's certificates (PEM files). */
  caCertPath: string;
  serverCertPath: string;
  serverKeyPath: string;
  clientCertPath: string;
  clientKeyPath: string;
  /** The only name the server's certificate carries (no IP): clients must set it as the server name. */
  serverName: string;
  pem: { caCert: string; serverCert: string; serverKey: string };
}

/** A CA, a server certificate for `serverName` and a client certificate, all signed by the CA, written to `dir`. */
export async function createTestPki(dir: string, serverName = 'temporal-tls.test'): Promise<TestPki> {
  mkdirSync(dir, { recursive: true });
  const base = { keyType: 'ec' as const, algorithm: 'sha256' };
  const ca = await generate([{ name: 'commonName', value: 'heroku-runbooks test CA' }], {
    ...base,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const signedBy = { key: ca.private, cert: ca.cert };
  const server = await generate([{ name: 'commonName', value: serverName }], {
    ...base,
    ca: signedBy,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: serverName }] },
    ],
  });
  const client = await generate([{ name: 'commonName', value: 'runbook-worker' }], {
    ...base,
    ca: signedBy,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', clientAuth: true },
    ],
  });
  const write = (name: string, pem: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, pem, { mode: 0o600 });
    return file;
  };
  return {
    caCertPath: write('ca.pem', ca.cert),
    serverCertPath: write('server.pem', server.cert),
    serverKeyPath: write('server-key.pem', server.private),
    clientCertPath: write('client.pem', client.cert),
    clientKeyPath: write('client-key.pem', client.private),
    serverName,
    pem: { caCert: ca.cert, serverCert: server.cert, serverKey: server.private },
  };
}

export interface TlsProxy {
  /** host:port to give as TEMPORAL_ADDRESS. */
  address: string;
  /** Connections that presented a client certificate the CA signed, and were piped through. */
  readonly accepted: number;
  /** Why the TLS handshakes that were refused failed (e.g. no client certificate). */
  readonly refused: string[];
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 (a free port), requires a client certificate signed by the PKI's CA, pipes to `target`. */
export async function startTlsProxy(pki: TestPki, target: string): Promise<TlsProxy> {
  const [targetHost, targetPort] = [target.replace(/:\d+$/, ''), Number(target.split(':').pop())];
  const sockets = new Set<Socket>();
  const refused: string[] = [];
  let accepted = 0;
  const server = tls.createServer(
    {
      key: pki.pem.serverKey,
      cert: pki.pem.serverCert,
      ca: [pki.pem.caCert],
      requestCert: true,
      rejectUnauthorized: true,
      ALPNProtocols: ['h2'],
    },
    (client) => {
      accepted++;
      const upstream = net.connect(targetPort, targetHost);
      sockets.add(upstream);
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      for (const socket of [client, upstream]) {
        socket.on('error', end);
        socket.on('close', end);
      }
      upstream.on('close', () => sockets.delete(upstream));
      client.pipe(upstream).pipe(client);
    },
  );
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('tlsClientError', (err, socket) => {
    refused.push(err.message);
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    get accepted() {
      return accepted;
    },
    refused,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
