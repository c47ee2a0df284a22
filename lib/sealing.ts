import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';

/**
 * Config-var values never travel through Temporal in the clear, and only the worker can read them.
 *
 * A sealed box: the CLI holds the worker's **public** key only (RUNBOOK_SEAL_PUBLIC_KEY). For each value it makes
 * an ephemeral X25519 key pair, agrees a secret with the worker's public key (ECDH), derives an AES-256-GCM key
 * from it (HKDF-SHA256) and encrypts. Only a holder of the private key (the worker, RUNBOOK_SEAL_KEYS) can open it:
 * a CLI user can seal, never open — not their own values, not anyone's in a history.
 *
 * Each value is **bound** to where it may be used (its SealBinding: purpose, workflow ID, environment, app, config
 * var): the binding's canonical form is the AES-GCM associated data and goes into the HKDF info, so a value opens
 * only for the same binding. Copied from a staging run's history into a production start, or into another run or
 * another var, it does not open.
 *
 * Formats: private key `rbsk1_<base64url 32 bytes>`, public key `rbpk1_<base64url 32 bytes>`, sealed value
 * `sealed:v2:<keyId>:<ephemeral public key>:<iv>:<ciphertext+tag>` (base64url; keyId = first 8 hex digits of
 * the SHA-256 of the raw public key, so a worker tells which of its keys a value was sealed for).
 */
export const SEALED_PREFIX = 'sealed:v2:';

/** What a sealed value is bound to (AES-GCM associated data, canonical): it opens only for the same binding. */
export interface SealBinding {
  purpose: 'config-var' | 'identity-proof';
  workflowId: string;
  environment?: string;
  app?: string;
  name?: string;
}

/** What is wrong with a key or a sealed value, and what to do. Never carries key material or plaintext. */
export class SealingError extends Error {}

const PRIVATE_PREFIX = 'rbsk1_';
const PUBLIC_PREFIX = 'rbpk1_';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
// The fixed DER headers of X25519 keys (RFC 8410): PKCS#8 for a private key, SPKI for a public one.
const PKCS8_HEADER = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_HEADER = Buffer.from('302a300506032b656e032100', 'hex');
const PURPOSES: readonly SealBinding['purpose'][] = ['config-var', 'identity-proof'];
const BASE64URL = /^[A-Za-z0-9_-]+$/;

const GENERATE_HINT = 'create a key pair with `runbook keys generate`';

function fromBase64url(text: string): Buffer | undefined {
  return BASE64URL.test(text) ? Buffer.from(text, 'base64url') : undefined;
}

function rawKey(text: string, prefix: string): Buffer | undefined {
  if (!text.startsWith(prefix)) return undefined;
  const raw = fromBase64url(text.slice(prefix.length));
  return raw?.length === KEY_BYTES && raw.toString('base64url') === text.slice(prefix.length) ? raw : undefined;
}

function publicKeyObject(raw: Buffer): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_HEADER, raw]), format: 'der', type: 'spki' });
}

function privateKeyObject(raw: Buffer): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_HEADER, raw]), format: 'der', type: 'pkcs8' });
}

function rawPublic(key: KeyObject): Buffer {
  return (key.type === 'private' ? createPublicKey(key) : key)
    .export({ format: 'der', type: 'spki' })
    .subarray(SPKI_HEADER.length);
}

function rawPrivate(key: KeyObject): Buffer {
  return key.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_HEADER.length);
}

function keyIdOf(rawPublicKey: Buffer): string {
  return createHash('sha256').update(rawPublicKey).digest('hex').slice(0, 8);
}

function parsePublicKey(text: string, what: string): Buffer {
  const value = text.trim();
  const raw = rawKey(value, PUBLIC_PREFIX);
  if (raw) return raw;
  if (rawKey(value, PRIVATE_PREFIX))
    throw new SealingError(
      `${what} is a private key (rbsk1_…), not a public key: it belongs to the worker only. Give CLI users its public key (rbpk1_…, \`runbook keys public\` where the private key is).`,
    );
  throw new SealingError(
    `${what} is not a public sealing key: expected rbpk1_ followed by 43 base64url characters (\`runbook keys public\` prints it where the worker's private key is; ${GENERATE_HINT}).`,
  );
}

/** The binding's canonical form: JSON, so no field's content can shift into another (absent = null). */
function canonicalBinding(binding: SealBinding): Buffer {
  if (!PURPOSES.includes(binding.purpose))
    throw new SealingError(`a seal binding's purpose must be one of ${PURPOSES.join(', ')}`);
  if (typeof binding.workflowId !== 'string' || binding.workflowId === '')
    throw new SealingError("a seal binding needs the run's workflow ID");
  const fields = [binding.purpose, binding.workflowId, binding.environment, binding.app, binding.name];
  return Buffer.from(`heroku-runbooks/seal/v2\n${JSON.stringify(fields.map((field) => field ?? null))}`, 'utf8');
}

/**
 * The AES key of one sealed value: HKDF-SHA256 of the ECDH secret, salted with both public keys, with the binding in
 * its info (hashed: Node's HKDF takes at most 1024 bytes of info, and a workflow ID may be long).
 */
function boxKey(shared: Buffer, ephemeralPublic: Buffer, recipientPublic: Buffer, aad: Buffer): Buffer {
  const info = Buffer.concat([Buffer.from('heroku-runbooks/seal/v2 key\n'), createHash('sha256').update(aad).digest()]);
  return Buffer.from(hkdfSync('sha256', shared, Buffer.concat([ephemeralPublic, recipientPublic]), info, KEY_BYTES));
}

/** The CLI side: a public key only — it can seal, never open. */
export class Sealer {
  readonly keyId: string;
  readonly #publicKey: KeyObject;
  readonly #rawPublic: Buffer;

  constructor(publicKey: string) {
    this.#rawPublic = parsePublicKey(publicKey, 'The public sealing key');
    this.#publicKey = publicKeyObject(this.#rawPublic);
    this.keyId = keyIdOf(this.#rawPublic);
  }

  /**
   * RUNBOOK_SEAL_PUBLIC_KEY (CLI users), else the public half of the newest key in RUNBOOK_SEAL_KEYS (on a worker
   * host). Neither: a SealingError naming both.
   */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): Sealer {
    const publicKey = env.RUNBOOK_SEAL_PUBLIC_KEY?.trim();
    if (publicKey) {
      parsePublicKey(publicKey, 'RUNBOOK_SEAL_PUBLIC_KEY'); // to name the variable if it is wrong
      return new Sealer(publicKey);
    }
    const keys = SealingKeys.fromEnv(env);
    if (keys) return keys.sealer();
    throw new SealingError(
      "RUNBOOK_SEAL_PUBLIC_KEY is not set (nor RUNBOOK_SEAL_KEYS). Values are sealed with the worker's public key: set RUNBOOK_SEAL_PUBLIC_KEY to it (rbpk1_…, from whoever runs the worker: `runbook keys public` where RUNBOOK_SEAL_KEYS is).",
    );
  }

  seal(plaintext: string, binding: SealBinding): string {
    const aad = canonicalBinding(binding);
    const { privateKey: ephemeral } = generateKeyPairSync('x25519');
    const ephemeralPublic = rawPublic(ephemeral);
    const shared = diffieHellman({ privateKey: ephemeral, publicKey: this.#publicKey });
    const key = boxKey(shared, ephemeralPublic, this.#rawPublic, aad);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(aad);
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return [SEALED_PREFIX + this.keyId, ephemeralPublic, iv, data]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join(':');
  }
}

interface HeldKey {
  keyId: string;
  privateKey: KeyObject;
  raw: Buffer;
  rawPublic: Buffer;
}

/** The worker side: private keys, newest first (the older ones open runs sealed before a rotation). */
export class SealingKeys {
  readonly #keys: HeldKey[];
  readonly #derivationSecret: Buffer;

  /**
   * RUNBOOK_SEAL_KEYS: private keys separated by commas or whitespace, newest first. Undefined when unset (the
   * worker then cannot run config-var changes, and says so); a SealingError when malformed.
   */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): SealingKeys | undefined {
    const text = env.RUNBOOK_SEAL_KEYS?.trim();
    if (!text) return undefined;
    return new SealingKeys(text.split(/[\s,]+/).filter(Boolean), 'RUNBOOK_SEAL_KEYS');
  }

  /** A new key pair: the private key for the worker's RUNBOOK_SEAL_KEYS, the public one for CLI users. */
  static generate(): { privateKey: string; publicKey: string } {
    const { privateKey, publicKey } = generateKeyPairSync('x25519');
    return {
      privateKey: `${PRIVATE_PREFIX}${rawPrivate(privateKey).toString('base64url')}`,
      publicKey: `${PUBLIC_PREFIX}${rawPublic(publicKey).toString('base64url')}`,
    };
  }

  constructor(privateKeys: string[], source = 'the private keys') {
    if (privateKeys.length === 0) throw new SealingError(`${source}: no private key given (${GENERATE_HINT})`);
    const keys: HeldKey[] = [];
    privateKeys.forEach((text, index) => {
      const what = `${source}: key ${index + 1} of ${privateKeys.length}`;
      const value = text.trim();
      const raw = rawKey(value, PRIVATE_PREFIX);
      if (!raw) {
        // Never repeat the text: it may be a secret, or most of one.
        throw new SealingError(
          rawKey(value, PUBLIC_PREFIX)
            ? `${what} is a public key (rbpk1_…): the worker needs the private key (rbsk1_…) it was made with.`
            : `${what} is not a private sealing key: expected rbsk1_ followed by 43 base64url characters (${GENERATE_HINT}).`,
        );
      }
      const privateKey = privateKeyObject(raw);
      const publicRaw = rawPublic(privateKey);
      const keyId = keyIdOf(publicRaw);
      if (!keys.some((key) => key.keyId === keyId)) keys.push({ keyId, privateKey, raw, rawPublic: publicRaw });
    });
    this.#keys = keys;
    // Generated values (derive) are keyed on the OLDEST key held, not the newest. A rotation puts a new key first
    // and keeps the old ones after it: the oldest stays the same, so a run that made a SECRET_KEY before the
    // rotation and retries after it (another worker, a restart with the new RUNBOOK_SEAL_KEYS) computes the same
    // value, finds it in place and does not rotate a second time — and workers in the middle of a rolling rotation
    // ([new, old] and [old]) agree. Keyed on the newest, every retry across a rotation would set a different value.
    // The derivation key changes only when the oldest key is dropped, which the rotation procedure does once no run
    // started before it is in flight (the same rule as for opening their sealed values). A dedicated secret (HKDF
    // with its own label), so the derived values share nothing with what the key does in ECDH.
    this.#derivationSecret = Buffer.from(
      hkdfSync('sha256', keys[keys.length - 1].raw, Buffer.alloc(0), 'heroku-runbooks derive', KEY_BYTES),
    );
  }

  /** The public key of the newest key: what CLI users seal with (rbpk1_…). */
  publicKey(): string {
    return `${PUBLIC_PREFIX}${this.#keys[0].rawPublic.toString('base64url')}`;
  }

  /** The IDs of the keys held, newest first (as written into sealed values). */
  keyIds(): string[] {
    return this.#keys.map((key) => key.keyId);
  }

  sealer(): Sealer {
    return new Sealer(this.publicKey());
  }

  /** Opens a value sealed for one of these keys and for this binding; a SealingError says why it does not open. */
  open(sealed: string, binding: SealBinding): string {
    const aad = canonicalBinding(binding);
    if (typeof sealed !== 'string' || !sealed.startsWith('sealed:'))
      throw new SealingError('not a sealed value (the CLI seals --set values with RUNBOOK_SEAL_PUBLIC_KEY)');
    if (!sealed.startsWith(SEALED_PREFIX))
      throw new SealingError(
        `sealed in an older format (${sealed.split(':', 2).join(':')}), which this worker does not open: seal it again with the current CLI`,
      );
    const parts = sealed.slice(SEALED_PREFIX.length).split(':');
    const [keyId, ephemeralText, ivText, dataText] = parts;
    const ephemeralPublic = fromBase64url(ephemeralText ?? '');
    const iv = fromBase64url(ivText ?? '');
    const data = fromBase64url(dataText ?? '');
    if (
      parts.length !== 4 ||
      !/^[0-9a-f]{8}$/.test(keyId) ||
      ephemeralPublic?.length !== KEY_BYTES ||
      iv?.length !== IV_BYTES ||
      !data ||
      data.length < TAG_BYTES
    )
      throw new SealingError('the sealed value is damaged (not the shape the CLI writes): seal it again');
    const held = this.#keys.find((key) => key.keyId === keyId);
    if (!held)
      throw new SealingError(
        `sealed for key ${keyId}, which this worker does not hold (it holds ${this.keyIds().join(', ')}): add the private key with ID ${keyId} to RUNBOOK_SEAL_KEYS, after the newest, or seal the value again with the current public key (${this.#keys[0].keyId})`,
      );
    let shared: Buffer;
    try {
      shared = diffieHellman({ privateKey: held.privateKey, publicKey: publicKeyObject(ephemeralPublic) });
    } catch {
      throw new SealingError('the sealed value is damaged (its ephemeral key is not usable): seal it again');
    }
    const key = boxKey(shared, ephemeralPublic, held.rawPublic, aad);
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(aad);
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(data.subarray(0, data.length - TAG_BYTES)), decipher.final()]).toString(
        'utf8',
      );
    } catch {
      // AES-GCM cannot tell a value sealed for another binding from an altered one: both fail its tag.
      throw new SealingError(
        `it does not open for ${describeBinding(binding)}: it was sealed for another app, environment, config var or run (a sealed value cannot be moved: seal it again for this run), or it was altered`,
      );
    }
  }

  /**
   * Worker-only: a random-looking value, the same every time for the same purpose (e.g. run and var), so a retried
   * rotation after a crash computes the value it already set, finds it in place, and does not rotate twice. Keyed
   * on the oldest key held (see the constructor): unchanged by a rotation that keeps the old key.
   */
  derive(purpose: string, length: number, alphabet: string): string {
    if (!Number.isInteger(length) || length < 1 || length > 4000)
      throw new SealingError('derive: length must be an integer from 1 to 4000');
    if (alphabet.length < 2 || alphabet.length > 256)
      throw new SealingError('derive: alphabet needs 2 to 256 characters');
    // The purpose is hashed into the info for the same 1024-byte limit as above.
    const info = Buffer.concat([
      Buffer.from('heroku-runbooks/derive/v2\n'),
      createHash('sha256').update(purpose, 'utf8').digest(),
    ]);
    const bytes = Buffer.from(hkdfSync('sha256', this.#derivationSecret, Buffer.alloc(0), info, length * 2));
    let value = '';
    // Two bytes per character keeps the modulo bias negligible for alphabets under 256 characters.
    for (let i = 0; i < length; i++) value += alphabet[bytes.readUInt16BE(i * 2) % alphabet.length];
    return value;
  }
}

/** `environment staging, config var MAPBOX_TOKEN, run set-config-vars.staging.…`: what a value failed to open for. */
function describeBinding(binding: SealBinding): string {
  const parts = [
    binding.environment !== undefined ? `environment ${binding.environment}` : '',
    binding.app !== undefined ? `app ${binding.app}` : '',
    binding.name !== undefined ? `${binding.purpose === 'config-var' ? 'config var' : 'name'} ${binding.name}` : '',
    `run ${binding.workflowId}`,
  ].filter(Boolean);
  return `${binding.purpose === 'config-var' ? '' : 'an identity proof: '}${parts.join(', ')}`;
}

/** The generated-value kinds a runbook may ask for. Django's get_random_secret_key(): 50 of these characters. */
export const GENERATORS = {
  'django-secret-key': { length: 50, alphabet: 'abcdefghijklmnopqrstuvwxyz0123456789!@#%^&*(-_=+)' },
  'hex-64': { length: 64, alphabet: '0123456789abcdef' },
} as const;
