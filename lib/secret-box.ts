import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Config-var values never travel through Temporal in the clear: the CLI seals each value with RUNBOOK_SECRETS_KEY
 * (AES-256-GCM) before it starts a run, and only the activity that sets the var opens it. Workflow history, the
 * UI, results and the audit trail only ever hold the sealed form.
 */
export const SEALED_PREFIX = 'sealed:v1:';

export class SecretsKeyError extends Error {}

export function parseSecretsKey(text: string | undefined): Buffer {
  const value = text?.trim();
  if (!value) {
    throw new SecretsKeyError(
      'RUNBOOK_SECRETS_KEY is not set. Config-var values are sealed with it on the CLI and opened by the worker, so both need the same key: create one with `openssl rand -base64 32`.',
    );
  }
  const key = /^[0-9a-f]{64}$/i.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
  if (key.length !== 32)
    throw new SecretsKeyError('RUNBOOK_SECRETS_KEY must be 32 bytes, base64 or hex (e.g. `openssl rand -base64 32`).');
  return key;
}

export class SecretBox {
  constructor(private readonly key: Buffer) {}

  static fromEnv(env: NodeJS.ProcessEnv = process.env): SecretBox {
    return new SecretBox(parseSecretsKey(env.RUNBOOK_SECRETS_KEY));
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${SEALED_PREFIX}${iv.toString('base64')}:${ciphertext.toString('base64')}`;
  }

  /** Opens a sealed value; throws if it was sealed with another key or tampered with. */
  open(sealed: string): string {
    if (!sealed.startsWith(SEALED_PREFIX)) throw new SecretsKeyError('not a sealed value');
    const [ivText, dataText] = sealed.slice(SEALED_PREFIX.length).split(':');
    const data = Buffer.from(dataText ?? '', 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(ivText ?? '', 'base64'));
    decipher.setAuthTag(data.subarray(data.length - 16));
    try {
      return Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretsKeyError(
        'a sealed value does not open with this RUNBOOK_SECRETS_KEY (sealed with another key?)',
      );
    }
  }

  /**
   * A new random-looking value that is the same every time for the same run and var: a retried rotation after a
   * crash computes the value it already set, finds it in place, and does not rotate a second time.
   */
  derive(purpose: string, length: number, alphabet: string): string {
    const bytes = Buffer.from(hkdfSync('sha256', this.key, Buffer.alloc(0), purpose, length * 2));
    let value = '';
    // Two bytes per character keeps the modulo bias negligible for alphabets under 256 characters.
    for (let i = 0; i < length; i++) value += alphabet[bytes.readUInt16BE(i * 2) % alphabet.length];
    return value;
  }
}

/** The generated-value kinds a runbook may ask for. Django's get_random_secret_key(): 50 of these characters. */
export const GENERATORS = {
  'django-secret-key': { length: 50, alphabet: 'abcdefghijklmnopqrstuvwxyz0123456789!@#%^&*(-_=+)' },
  'hex-64': { length: 64, alphabet: '0123456789abcdef' },
} as const;
