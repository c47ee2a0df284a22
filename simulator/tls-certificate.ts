import { isIP } from 'node:net';
import { generate } from 'selfsigned';

/**
 * A self-signed certificate for the rendezvous server. The Heroku CLI verifies the rendezvous TLS certificate and
 * `NODE_TLS_REJECT_UNAUTHORIZED=0` does not switch that off, so clients must trust this certificate through
 * `NODE_EXTRA_CA_CERTS` (reference §3.6). It names 127.0.0.1 (CN and IP SAN, as the attach URL usually does),
 * localhost, and the interface the simulator binds when that is a specific one.
 */
export async function generateRendezvousCertificate(bindHost: string): Promise<{ key: string; cert: string }> {
  const altNames: Array<{ type: 2; value: string } | { type: 7; ip: string }> = [
    { type: 7, ip: '127.0.0.1' },
    { type: 2, value: 'localhost' },
  ];
  const wildcard = ['0.0.0.0', '::', '127.0.0.1', 'localhost'].includes(bindHost);
  if (!wildcard) altNames.push(isIP(bindHost) ? { type: 7, ip: bindHost } : { type: 2, value: bindHost });

  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}
