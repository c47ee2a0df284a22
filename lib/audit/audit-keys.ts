import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../paths';

// The audit key pair (Ed25519). The worker alone holds the private key and signs every record it writes; whoever
// verifies holds only public keys, given to them out of band — never read from the database being verified, or
// whoever can rewrite the records could also swap the key.

const PRIVATE_PREFIX = 'rbask1_';
const PUBLIC_PREFIX = 'rbapk1_';
// DER framing of a raw 32-byte Ed25519 seed (PKCS#8) and public key (SPKI), so Node's crypto takes them.
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');

/** Where a single machine keeps its audit key when none is configured (created by the worker on first start). */
export const DEFAULT_AUDIT_KEY_FILE = path.join(PACKAGE_ROOT, '.data', 'audit-signing-key');

export class AuditKeyError extends Error {}

/** The ID records name their signing key by: the first 16 hex digits of the SHA-256 of its raw public key. */
export function auditKeyId(publicKey: string): string {
  return createHash('sha256')
    .update(rawKey(publicKey, PUBLIC_PREFIX, 'public'))
    .digest('hex')
    .slice(0, 16);
}

function rawKey(text: string, prefix: string, kind: string): Buffer {
  const trimmed = text.trim();
  const raw = trimmed.startsWith(prefix) ? Buffer.from(trimmed.slice(prefix.length), 'base64url') : null;
  if (!raw || raw.length !== 32)
    throw new AuditKeyError(
      `not an audit ${kind} key (expected ${prefix}… as \`runbook keys audit\` prints it): ${trimmed.slice(0, 12)}…`,
    );
  return raw;
}

/** The worker's signing key: signs each record's hash. */
export class AuditSigner {
  readonly publicKey: string;
  readonly keyId: string;
  readonly #key: KeyObject;

  constructor(privateKey: string) {
    const seed = rawKey(privateKey, PRIVATE_PREFIX, 'signing');
    this.#key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' });
    const spki = createPublicKey(this.#key).export({ format: 'der', type: 'spki' });
    this.publicKey = PUBLIC_PREFIX + spki.subarray(SPKI_ED25519.length).toString('base64url');
    this.keyId = auditKeyId(this.publicKey);
  }

  sign(hash: string): string {
    return sign(null, Buffer.from(hash), this.#key).toString('base64');
  }

  /** A new key pair: the private key for the worker (RUNBOOK_AUDIT_SIGNING_KEY), the public one for verifiers. */
  static generate(): { privateKey: string; publicKey: string; keyId: string } {
    const { privateKey } = generateKeyPairSync('ed25519');
    const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
    const signer = new AuditSigner(PRIVATE_PREFIX + pkcs8.subarray(PKCS8_ED25519.length).toString('base64url'));
    return {
      privateKey: PRIVATE_PREFIX + pkcs8.subarray(PKCS8_ED25519.length).toString('base64url'),
      publicKey: signer.publicKey,
      keyId: signer.keyId,
    };
  }

  /**
   * The worker's key: RUNBOOK_AUDIT_SIGNING_KEY, else the key file (RUNBOOK_AUDIT_SIGNING_KEY_FILE, default
   * .data/audit-signing-key), made there on first use with its public key beside it (`.pub`) for `audit verify`.
   */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): { signer: AuditSigner; source: string; created: boolean } {
    const value = env.RUNBOOK_AUDIT_SIGNING_KEY?.trim();
    if (value)
      return {
        signer: parsed(value, 'RUNBOOK_AUDIT_SIGNING_KEY'),
        source: 'RUNBOOK_AUDIT_SIGNING_KEY',
        created: false,
      };
    const file = env.RUNBOOK_AUDIT_SIGNING_KEY_FILE || DEFAULT_AUDIT_KEY_FILE;
    if (existsSync(file)) {
      return { signer: parsed(readFileSync(file, 'utf8'), file), source: file, created: false };
    }
    // Made whole beside it and linked into place: two workers starting at once end up with the same key.
    const made = AuditSigner.generate();
    mkdirSync(path.dirname(file), { recursive: true });
    const draft = `${file}.${process.pid}.${Date.now()}.tmp`;
    writeFileSync(draft, `${made.privateKey}\n`, { mode: 0o600 });
    try {
      writeFileSync(`${file}.pub.${process.pid}.tmp`, `${made.publicKey}\n`);
      linkSync(draft, file);
      renameSync(`${file}.pub.${process.pid}.tmp`, `${file}.pub`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      rmSync(`${file}.pub.${process.pid}.tmp`, { force: true });
      return { signer: parsed(readFileSync(file, 'utf8'), file), source: file, created: false };
    } finally {
      rmSync(draft, { force: true });
    }
    return { signer: new AuditSigner(made.privateKey), source: file, created: true };
  }
}

function parsed(value: string, source: string): AuditSigner {
  try {
    return new AuditSigner(value);
  } catch (err) {
    throw new AuditKeyError(`${source}: ${(err as Error).message}`);
  }
}

/** The public keys a verifier trusts, by key ID. */
export class AuditKeyring {
  readonly #keys = new Map<string, KeyObject>();

  constructor(publicKeys: readonly string[]) {
    for (const publicKey of publicKeys) {
      const raw = rawKey(publicKey, PUBLIC_PREFIX, 'public');
      const key = createPublicKey({ key: Buffer.concat([SPKI_ED25519, raw]), format: 'der', type: 'spki' });
      this.#keys.set(auditKeyId(publicKey), key);
    }
  }

  keyIds(): string[] {
    return [...this.#keys.keys()];
  }

  has(keyId: string): boolean {
    return this.#keys.has(keyId);
  }

  /** Whether `signature` is the signature of `hash` by the key `keyId` (false for an unknown key). */
  verify(keyId: string, hash: string, signature: string): boolean {
    const key = this.#keys.get(keyId);
    if (!key) return false;
    try {
      return verify(null, Buffer.from(hash), key, Buffer.from(signature, 'base64'));
    } catch {
      return false;
    }
  }

  /**
   * The trusted keys: `extra` (--public-key), RUNBOOK_AUDIT_PUBLIC_KEYS (comma- or space-separated), and this
   * machine's own key file's `.pub` if there is one (a single-machine install, where the worker made it).
   */
  static fromEnv(extra: readonly string[] = [], env: NodeJS.ProcessEnv = process.env): AuditKeyring {
    const keys = [...extra];
    keys.push(...(env.RUNBOOK_AUDIT_PUBLIC_KEYS ?? '').split(/[\s,]+/).filter(Boolean));
    const own = `${env.RUNBOOK_AUDIT_SIGNING_KEY_FILE || DEFAULT_AUDIT_KEY_FILE}.pub`;
    if (existsSync(own)) keys.push(readFileSync(own, 'utf8').trim());
    if (env.RUNBOOK_AUDIT_SIGNING_KEY?.trim())
      keys.push(parsed(env.RUNBOOK_AUDIT_SIGNING_KEY, 'RUNBOOK_AUDIT_SIGNING_KEY').publicKey);
    try {
      return new AuditKeyring(keys);
    } catch (err) {
      throw new AuditKeyError(`RUNBOOK_AUDIT_PUBLIC_KEYS: ${(err as Error).message}`);
    }
  }
}
