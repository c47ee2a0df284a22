// The secret scan: no token, private key, sealed value's plain text or generated secret may appear in any history
// fetched from the server, any worker's or CLI's output (the worker's output is also the audit trail's log copy),
// the audit store, or the runs' results.
import type { Violation } from './invariants';

export function scanForSecrets(
  places: Array<{ where: string; text: string }>,
  secrets: string[],
): { violations: Violation[]; bytes: number } {
  const violations: Violation[] = [];
  let bytes = 0;
  // Short strings would match by chance; every secret here is long (tokens, keys, generated values).
  const wanted = [...new Set(secrets)].filter((secret) => secret.length >= 8);
  for (const place of places) {
    bytes += place.text.length;
    for (const secret of wanted) {
      const at = place.text.indexOf(secret);
      if (at === -1) continue;
      violations.push({
        invariant: 'no secret anywhere',
        run: null,
        // Never the secret itself: its first characters and where it was found.
        detail: `a secret (${secret.slice(0, 4)}…, ${secret.length} characters) appears in ${place.where} at offset ${at}`,
      });
    }
  }
  return { violations, bytes };
}
