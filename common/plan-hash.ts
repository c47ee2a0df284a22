// The hash of a step runbook's plan, computed in the workflow (no Node built-ins there): FNV-1a, 64 bits, as 16 hex
// digits. It names what an approver read, so that an approval of one plan is not taken for another; secrecy is not
// its job (the plan is readable through the `approval` query), and proofs are bound to it by sealing.
export function planHash(text: string): string {
  let hash = 0xcbf29ce484222325n;
  const prime = 0x100000001b3n;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= BigInt(byte);
    hash = (hash * prime) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, '0');
}
