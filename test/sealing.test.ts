// lib/sealing.ts on its own: sealed boxes to the worker's public key, bound to where they may be used.
import { GENERATORS, SEALED_PREFIX, Sealer, SealingError, SealingKeys, type SealBinding } from '../lib/sealing';

const binding: SealBinding = {
  purpose: 'config-var',
  workflowId: 'set-config-vars.staging.20261129T124001Z.1f3a',
  environment: 'staging',
  name: 'MAPBOX_TOKEN',
};

const worker = (...privateKeys: string[]) => new SealingKeys(privateKeys);

/** The SealingError a call throws (fails the test if it throws nothing, or something else). */
function refusal(call: () => unknown): string {
  try {
    call();
  } catch (err) {
    expect(err).toBeInstanceOf(SealingError);
    return (err as Error).message;
  }
  throw new Error('expected a SealingError');
}

test('key formats: rbsk1_/rbpk1_ and 32 bytes of base64url; the public key is the private key’s', () => {
  const { privateKey, publicKey } = SealingKeys.generate();
  expect(privateKey).toMatch(/^rbsk1_[A-Za-z0-9_-]{43}$/);
  expect(publicKey).toMatch(/^rbpk1_[A-Za-z0-9_-]{43}$/);
  expect(worker(privateKey).publicKey()).toBe(publicKey);
  expect(new Sealer(publicKey).keyId).toMatch(/^[0-9a-f]{8}$/);
  expect(worker(privateKey).keyIds()).toEqual([new Sealer(publicKey).keyId]);
  expect(SealingKeys.generate().privateKey).not.toBe(privateKey);
});

test('round trip: the CLI seals with the public key, the worker opens; each seal is different', () => {
  const { privateKey, publicKey } = SealingKeys.generate();
  const sealer = new Sealer(publicKey);
  const sealed = sealer.seal('pk.mapbox-ünïcode-✓', binding);
  expect(sealed.startsWith(`${SEALED_PREFIX}${sealer.keyId}:`)).toBe(true);
  expect(sealed.split(':')).toHaveLength(6);
  expect(sealed).not.toContain('mapbox');
  expect(worker(privateKey).open(sealed, binding)).toBe('pk.mapbox-ünïcode-✓');
  expect(sealer.seal('pk.mapbox-ünïcode-✓', binding)).not.toBe(sealed);
  expect(worker(privateKey).open(sealer.seal('', binding), binding)).toBe('');
  // A binding with every field, and the identity-proof purpose.
  const full: SealBinding = { purpose: 'identity-proof', workflowId: 'w', environment: 'e', app: 'a', name: 'n' };
  expect(worker(privateKey).open(sealer.seal('proof', full), full)).toBe('proof');
});

test('each field of the binding changed: refused, saying it was sealed for something else and cannot be moved', () => {
  const { privateKey, publicKey } = SealingKeys.generate();
  const keys = worker(privateKey);
  const sealed = new Sealer(publicKey).seal('s3cr3t', binding);
  const moved: SealBinding[] = [
    { ...binding, environment: 'production' },
    { ...binding, environment: undefined, app: 'csis-reconasia-bravo' },
    { ...binding, app: 'csis-reconasia-alfa' },
    { ...binding, name: 'OTHER_VAR' },
    { ...binding, name: undefined },
    { ...binding, workflowId: `${binding.workflowId}-again` },
    { ...binding, purpose: 'identity-proof' },
    // Fields cannot shift into one another.
    { ...binding, environment: undefined, app: 'staging' },
  ];
  for (const other of moved) {
    const message = refusal(() => keys.open(sealed, other));
    expect(message).toMatch(/sealed for another app, environment, config var or run/);
    expect(message).toMatch(/cannot be moved/);
    expect(message).not.toContain('s3cr3t');
  }
  expect(keys.open(sealed, { ...binding })).toBe('s3cr3t');
});

test('a value sealed for a key the worker does not hold is refused, naming the key ID and what to add', () => {
  const mine = SealingKeys.generate();
  const theirs = SealingKeys.generate();
  const sealer = new Sealer(theirs.publicKey);
  const message = refusal(() => worker(mine.privateKey).open(sealer.seal('x', binding), binding));
  expect(message).toContain(`sealed for key ${sealer.keyId}, which this worker does not hold`);
  expect(message).toContain(`add the private key with ID ${sealer.keyId} to RUNBOOK_SEAL_KEYS`);
  expect(message).toContain(worker(mine.privateKey).keyIds()[0]);
  expect(message).not.toContain(mine.privateKey);
});

test('rotation: a new key first, the old one kept second, opens what either sealed; the new one seals', () => {
  const old = SealingKeys.generate();
  const next = SealingKeys.generate();
  const sealedBefore = new Sealer(old.publicKey).seal('before', binding);
  const rotated = SealingKeys.fromEnv({ RUNBOOK_SEAL_KEYS: `${next.privateKey},\n  ${old.privateKey}` })!;
  expect(rotated.publicKey()).toBe(next.publicKey);
  expect(rotated.keyIds()).toEqual([new Sealer(next.publicKey).keyId, new Sealer(old.publicKey).keyId]);
  expect(rotated.open(sealedBefore, binding)).toBe('before');
  expect(rotated.sealer().keyId).toBe(new Sealer(next.publicKey).keyId);
  expect(rotated.open(rotated.sealer().seal('after', binding), binding)).toBe('after');
  // Once the old key is dropped, what it sealed says which key to put back.
  expect(refusal(() => worker(next.privateKey).open(sealedBefore, binding))).toContain(
    `sealed for key ${new Sealer(old.publicKey).keyId}`,
  );
});

test('a Sealer holds a public key only: it has no way to open, and public key material opens nothing', () => {
  const { privateKey, publicKey } = SealingKeys.generate();
  const sealer = new Sealer(publicKey);
  const sealed = sealer.seal('only-the-worker', binding);
  expect('open' in sealer).toBe(false);
  expect('derive' in sealer).toBe(false);
  expect(Object.getOwnPropertyNames(Sealer.prototype).sort()).toEqual(['constructor', 'seal']);
  // A public key where a private one belongs is refused as such…
  expect(refusal(() => worker(publicKey))).toMatch(/is a public key \(rbpk1_…\): the worker needs the private key/);
  // …and its 32 bytes dressed up as a private key are another key, which opens nothing sealed for the real one.
  const impostor = worker(publicKey.replace('rbpk1_', 'rbsk1_'));
  expect(refusal(() => impostor.open(sealed, binding))).toMatch(/which this worker does not hold/);
  expect(worker(privateKey).open(sealed, binding)).toBe('only-the-worker');
  // A private key where the public one belongs is refused, without repeating it.
  const message = refusal(() => new Sealer(privateKey));
  expect(message).toMatch(/is a private key .* belongs to the worker only/);
  expect(message).not.toContain(privateKey);
});

test('tampering is refused: ciphertext, tag, IV, ephemeral key, key ID, truncation, another format', () => {
  const { privateKey, publicKey } = SealingKeys.generate();
  const keys = worker(privateKey);
  const sealed = new Sealer(publicKey).seal('do-not-touch', binding);
  const parts = sealed.split(':'); // sealed, v2, keyId, ephemeral, iv, data
  const flip = (text: string, at: number) => {
    const bytes = Buffer.from(text, 'base64url');
    bytes[at] ^= 1;
    return bytes.toString('base64url');
  };
  const withPart = (index: number, value: string) => parts.map((part, i) => (i === index ? value : part)).join(':');
  const altered = [
    withPart(5, flip(parts[5], 0)), // ciphertext
    withPart(5, flip(parts[5], Buffer.from(parts[5], 'base64url').length - 1)), // tag
    withPart(4, flip(parts[4], 3)), // IV
    withPart(3, flip(parts[3], 7)), // ephemeral public key
  ];
  for (const value of altered) expect(refusal(() => keys.open(value, binding))).toMatch(/or it was altered/);
  expect(refusal(() => keys.open(withPart(2, '00000000'), binding))).toMatch(/sealed for key 00000000/);
  expect(refusal(() => keys.open(sealed.slice(0, -30), binding))).toMatch(/damaged/);
  expect(refusal(() => keys.open(`${sealed}:extra`, binding))).toMatch(/damaged/);
  expect(refusal(() => keys.open('pk.plain-value', binding))).toMatch(/^not a sealed value/);
  expect(refusal(() => keys.open('sealed:v1:AAAA:BBBB', binding))).toMatch(/older format \(sealed:v1\)/);
  expect(keys.open(sealed, binding)).toBe('do-not-touch');
});

test('derive is deterministic per purpose, worker-only, and unchanged by a rotation that keeps the old key', () => {
  const old = SealingKeys.generate();
  const next = SealingKeys.generate();
  const { length, alphabet } = GENERATORS['django-secret-key'];
  const value = worker(old.privateKey).derive('config-var/run-1/SECRET_KEY', length, alphabet);
  expect(value).toHaveLength(50);
  expect([...value].every((char) => alphabet.includes(char))).toBe(true);
  expect(worker(old.privateKey).derive('config-var/run-1/SECRET_KEY', length, alphabet)).toBe(value);
  expect(worker(old.privateKey).derive('config-var/run-2/SECRET_KEY', length, alphabet)).not.toBe(value);
  expect(worker(old.privateKey).derive('config-var/run-1/SECRET_KEY', 64, '0123456789abcdef')).toMatch(
    /^[0-9a-f]{64}$/,
  );
  // A long purpose (long workflow IDs) is fine.
  expect(worker(old.privateKey).derive(`config-var/${'x'.repeat(3000)}`, 8, alphabet)).toHaveLength(8);
  // Rotation: the new key first, the old kept after it. A SECRET_KEY made before the rotation and retried after it
  // comes out the same (else the retry would rotate twice); workers mid-rotation agree.
  expect(worker(next.privateKey, old.privateKey).derive('config-var/run-1/SECRET_KEY', length, alphabet)).toBe(value);
  // Another worker's keys, or only the new key (the old one dropped), make other values.
  expect(worker(next.privateKey).derive('config-var/run-1/SECRET_KEY', length, alphabet)).not.toBe(value);
  // Not a function of the public key: whoever can seal cannot compute it.
  expect(
    worker(old.publicKey.replace('rbpk1_', 'rbsk1_')).derive('config-var/run-1/SECRET_KEY', length, alphabet),
  ).not.toBe(value);
});

test('RUNBOOK_SEAL_KEYS: unset is undefined; malformed is refused naming the variable, never echoing the key', () => {
  expect(SealingKeys.fromEnv({})).toBeUndefined();
  expect(SealingKeys.fromEnv({ RUNBOOK_SEAL_KEYS: '  ' })).toBeUndefined();
  const { privateKey } = SealingKeys.generate();
  const truncated = privateKey.slice(0, -2);
  const message = refusal(() => SealingKeys.fromEnv({ RUNBOOK_SEAL_KEYS: `${privateKey} ${truncated}` }));
  expect(message).toMatch(/^RUNBOOK_SEAL_KEYS: key 2 of 2 is not a private sealing key: expected rbsk1_/);
  expect(message).toContain('runbook keys generate');
  expect(message).not.toContain(truncated);
  expect(refusal(() => new SealingKeys([]))).toMatch(/no private key given/);
  // The same key twice counts once.
  expect(worker(privateKey, privateKey).keyIds()).toHaveLength(1);
});

test('Sealer.fromEnv: RUNBOOK_SEAL_PUBLIC_KEY, else the newest of RUNBOOK_SEAL_KEYS, else an error naming both', () => {
  const a = SealingKeys.generate();
  const b = SealingKeys.generate();
  expect(Sealer.fromEnv({ RUNBOOK_SEAL_PUBLIC_KEY: a.publicKey }).keyId).toBe(new Sealer(a.publicKey).keyId);
  expect(Sealer.fromEnv({ RUNBOOK_SEAL_KEYS: `${b.privateKey},${a.privateKey}` }).keyId).toBe(
    new Sealer(b.publicKey).keyId,
  );
  const none = refusal(() => Sealer.fromEnv({}));
  expect(none).toMatch(/RUNBOOK_SEAL_PUBLIC_KEY is not set \(nor RUNBOOK_SEAL_KEYS\)/);
  expect(none).toContain('runbook keys public');
  expect(refusal(() => Sealer.fromEnv({ RUNBOOK_SEAL_PUBLIC_KEY: 'rbpk1_short' }))).toMatch(
    /^RUNBOOK_SEAL_PUBLIC_KEY is not a public sealing key/,
  );
  const misplaced = refusal(() => Sealer.fromEnv({ RUNBOOK_SEAL_PUBLIC_KEY: a.privateKey }));
  expect(misplaced).toMatch(/^RUNBOOK_SEAL_PUBLIC_KEY is a private key/);
  expect(misplaced).not.toContain(a.privateKey);
});

test('a binding needs a purpose and a workflow ID', () => {
  const sealer = SealingKeys.generate();
  expect(refusal(() => new Sealer(sealer.publicKey).seal('x', { ...binding, workflowId: '' }))).toMatch(
    /needs the run's workflow ID/,
  );
  expect(
    refusal(() => new Sealer(sealer.publicKey).seal('x', { ...binding, purpose: 'other' as SealBinding['purpose'] })),
  ).toMatch(/purpose must be one of config-var, identity-proof/);
});
