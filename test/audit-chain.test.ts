import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Client as PgClient } from 'pg';
import type { AuditEntry } from '../common/audit';
import { AuditKeyring, AuditSigner } from '../lib/audit/audit-keys';
import type { AuditLog } from '../lib/audit/audit-log';
import { GENESIS_HASH, recordHash } from '../lib/audit/chain';
import { PostgresAuditLog } from '../lib/audit/postgres-audit-log';
import { SqliteAuditLog } from '../lib/audit/sqlite-audit-log';
import { verifyStore } from '../lib/audit/verify-chain';
import { PACKAGE_ROOT } from '../lib/paths';
import { runCli } from './support/cli';
import { createTestDatabase, POSTGRES } from './support/postgres';

// The trail as a database administrator without the worker's audit key would attack it: every edit, insert,
// deletion, swap and forgery is found by `verify`, on SQLite and on the real Postgres at 127.0.0.1:5432.

jest.setTimeout(120_000);

const signer = new AuditSigner(AuditSigner.generate().privateKey);
const keyring = new AuditKeyring([signer.publicKey]);

function entry(n: number, overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    workflowId: 'restore-backup.production.1',
    runId: 'run-1',
    seq: n,
    at: new Date(Date.UTC(2026, 11, 1, 3, 0, n)).toISOString(),
    runbook: 'restore-backup',
    event: n === 0 ? 'started' : 'change',
    operator: 'alice@csis.example',
    app: 'csis-reconasia-alfa',
    environment: 'production',
    summary: n === 0 ? 'restore-backup started by alice@csis.example' : `step ${n}`,
    details: { step: n, nested: { b: 2, a: [1, 'x', null] } },
    ...overrides,
  };
}

/** A store and raw SQL on it, as its administrator has. */
interface Backend {
  log: AuditLog;
  location: string;
  sql(statement: string, params?: unknown[]): Promise<Array<Record<string, unknown>>>;
  close(): Promise<void>;
}

let database: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  database = await createTestDatabase('runbook_audit_chain');
});
afterAll(() => database?.drop());

async function sqliteBackend(): Promise<Backend> {
  const location = path.join(process.env.RUNBOOK_TEST_DIR!, `chain-${randomUUID()}.db`);
  const log = new SqliteAuditLog(location, { signer });
  const raw = new Database(location);
  return {
    log,
    location,
    sql: async (statement, params = []) => {
      const prepared = raw.prepare(statement.replace(/\$\d+/g, '?'));
      return prepared.reader
        ? (prepared.all(...params) as Array<Record<string, unknown>>)
        : (prepared.run(...params), []);
    },
    close: async () => {
      raw.close();
      await log.close();
    },
  };
}

async function postgresBackend(): Promise<Backend> {
  const raw = new PgClient({ connectionString: database.url });
  await raw.connect();
  await raw.query('DROP TABLE IF EXISTS runbook_audit');
  const log = new PostgresAuditLog(database.url, { signer });
  return {
    log,
    location: database.url,
    sql: async (statement, params = []) => (await raw.query(statement, params)).rows,
    close: async () => {
      await raw.end();
      await log.close();
    },
  };
}

const backends: Array<[string, () => Promise<Backend>]> = [
  ['SQLite', sqliteBackend],
  ['Postgres', postgresBackend],
];

describe.each(backends)('%s', (_name, open) => {
  let backend: Backend;
  beforeEach(async () => {
    backend = await open();
    for (let n = 0; n < 6; n++) await backend.log.append(entry(n));
  });
  afterEach(() => backend.close());

  test('each record names the one before it and is signed; a retried write is the same record, not a new one', async () => {
    const records = await backend.log.records();
    expect(records.map((r) => r.position)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(records[0].prevHash).toBe(GENESIS_HASH);
    for (let i = 1; i < records.length; i++) expect(records[i].prevHash).toBe(records[i - 1].hash);
    expect(records.every((r) => r.keyId === signer.keyId && keyring.verify(r.keyId, r.hash, r.signature))).toBe(true);
    // Read back, each still hashes to what was signed (times and JSON details survive the round trip).
    expect(records.every((r) => recordHash(r, r) === r.hash)).toBe(true);
    const again = await backend.log.append({ ...entry(3), summary: 'a retry, later', at: new Date().toISOString() });
    expect(again.written).toBe(false);
    expect(again.record).toEqual(records[3]);
    expect(await verifyStore(backend.log, keyring)).toMatchObject({ ok: true, checked: 6, head: { position: 6 } });
    expect(await backend.log.chainId()).toBe(records[0].hash);
  });

  test('two writers at once still make one unbroken chain', async () => {
    const second =
      backend.log instanceof SqliteAuditLog
        ? new SqliteAuditLog(backend.location, { signer })
        : new PostgresAuditLog(backend.location, { signer });
    try {
      const writes = Array.from({ length: 30 }, (_, i) =>
        (i % 2 ? backend.log : second).append(entry(100 + i, { runId: `run-${i % 3}` })),
      );
      expect((await Promise.all(writes)).every((w) => w.written)).toBe(true);
    } finally {
      await second.close();
    }
    const report = await verifyStore(backend.log, keyring, 7); // pages of 7: the walk crosses pages
    expect(report).toMatchObject({ ok: true, checked: 36, head: { position: 36 } });
  });

  test('an edited record is found: its content no longer matches its hash', async () => {
    await backend.sql(`UPDATE runbook_audit SET summary = $1 WHERE position = 4`, [
      'plan approved by security-officer',
    ]);
    expect(await verifyStore(backend.log, keyring)).toMatchObject({
      ok: false,
      goodThrough: { position: 3 },
      firstBreak: { position: 4, problem: 'edited', record: { summary: 'plan approved by security-officer' } },
    });
  });

  test('an edit with the hash recomputed is found: the signature is not the worker’s', async () => {
    const [row] = await backend.log.records({ afterPosition: 1, limit: 1 });
    const forged = { ...row, operator: 'security-officer@csis.example' };
    await backend.sql(`UPDATE runbook_audit SET operator = $1, hash = $2 WHERE position = 2`, [
      forged.operator,
      recordHash(forged, forged),
    ]);
    const report = await verifyStore(backend.log, keyring);
    // Its successor still names the old hash, but the forgery itself is found first.
    expect(report).toMatchObject({ ok: false, goodThrough: { position: 1 }, firstBreak: { position: 2 } });
    expect(report.firstBreak!.problem).toBe('unsigned');
  });

  test('a deleted record is found: the chain jumps over it', async () => {
    await backend.sql('DELETE FROM runbook_audit WHERE position = 3');
    const report = await verifyStore(backend.log, keyring);
    expect(report).toMatchObject({
      ok: false,
      goodThrough: { position: 2 },
      firstBreak: { position: 4, problem: 'missing' },
    });
    expect(report.firstBreak!.message).toContain('record 3 is missing');
  });

  test('a deleted record with the later ones renumbered is found: the next names another record before it', async () => {
    await backend.sql('DELETE FROM runbook_audit WHERE position = 3');
    for (const position of [4, 5, 6])
      await backend.sql('UPDATE runbook_audit SET position = $1 WHERE position = $2', [position - 1, position]);
    expect(await verifyStore(backend.log, keyring)).toMatchObject({
      ok: false,
      goodThrough: { position: 2 },
      firstBreak: { position: 3, problem: 'reordered', record: { seq: 3 } },
    });
  });

  test('two swapped records are found', async () => {
    await backend.sql('UPDATE runbook_audit SET position = -1 WHERE position = 2');
    await backend.sql('UPDATE runbook_audit SET position = 2 WHERE position = 5');
    await backend.sql('UPDATE runbook_audit SET position = 5 WHERE position = -1');
    expect(await verifyStore(backend.log, keyring)).toMatchObject({
      ok: false,
      goodThrough: { position: 1 },
      firstBreak: { position: 2, problem: 'reordered', record: { seq: 4 } },
    });
  });

  test('a record inserted in the middle is found, however well its hash is made', async () => {
    for (const position of [6, 5, 4])
      await backend.sql('UPDATE runbook_audit SET position = $1 WHERE position = $2', [position + 1, position]);
    const [before] = await backend.log.records({ afterPosition: 2, limit: 1 });
    const link = { position: 4, prevHash: before.hash, keyId: signer.keyId };
    const inserted = entry(42, { summary: 'plan approved by bob@csis.example', operator: 'bob@csis.example' });
    await insertRaw(backend, { ...inserted, ...link, hash: recordHash(inserted, link), signature: 'AAAA' });
    expect(await verifyStore(backend.log, keyring)).toMatchObject({
      ok: false,
      goodThrough: { position: 3 },
      firstBreak: { position: 4, problem: 'unsigned', record: { summary: 'plan approved by bob@csis.example' } },
    });
  });

  test('a record appended by someone with another key is found: the key is not a trusted one', async () => {
    const other = new AuditSigner(AuditSigner.generate().privateKey);
    const intruder =
      backend.log instanceof SqliteAuditLog
        ? new SqliteAuditLog(backend.location, { signer: other })
        : new PostgresAuditLog(backend.location, { signer: other });
    try {
      await intruder.append(entry(7, { summary: 'restore approved by nobody in particular' }));
    } finally {
      await intruder.close();
    }
    const report = await verifyStore(backend.log, keyring);
    expect(report).toMatchObject({
      ok: false,
      goodThrough: { position: 6 },
      firstBreak: { position: 7, problem: 'unknown-key' },
    });
    // Trusting that key too (a second worker's), the chain is good.
    expect(await verifyStore(backend.log, new AuditKeyring([signer.publicKey, other.publicKey]))).toMatchObject({
      ok: true,
    });
  });

  test('`runbook audit verify` says where the chain breaks and how far it is good, and exits 1', async () => {
    const env = { RUNBOOK_AUDIT_DB: backend.location, RUNBOOK_AUDIT_PUBLIC_KEYS: signer.publicKey };
    const good = await runCli(['audit', 'verify', '--no-temporal'], env);
    expect({ code: good.code, stdout: good.stdout }).toMatchObject({ code: 0 });
    expect(good.stdout).toContain('is intact: 6 records');
    await backend.sql('DELETE FROM runbook_audit WHERE position = 5');
    const bad = await runCli(['audit', 'verify', '--no-temporal'], env);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('has been tampered with');
    expect(bad.stdout).toContain('First bad record: position 6');
    expect(bad.stdout).toContain('record 5 is missing');
    expect(bad.stdout).toContain('The chain is good through record 4');
    const json = JSON.parse((await runCli(['audit', 'verify', '--no-temporal', '--json'], env)).stdout);
    expect(json).toMatchObject({
      ok: false,
      goodThrough: { position: 4 },
      firstBreak: { position: 6, problem: 'missing' },
    });
    // Without a trusted key, verify refuses rather than trusting whatever the trail says.
    const keyless = await runCli(['audit', 'verify'], {
      RUNBOOK_AUDIT_DB: backend.location,
      RUNBOOK_AUDIT_PUBLIC_KEYS: '',
      RUNBOOK_AUDIT_SIGNING_KEY_FILE: path.join(process.env.RUNBOOK_TEST_DIR!, 'no-such-key'),
    });
    expect(keyless.code).toBe(2);
    expect(keyless.stderr).toContain('No audit public key to verify with');
  });
});

async function insertRaw(backend: Backend, record: Record<string, unknown>): Promise<void> {
  const columns: Record<string, unknown> = {
    position: record.position,
    prev_hash: record.prevHash,
    hash: record.hash,
    key_id: record.keyId,
    signature: record.signature,
    workflow_id: record.workflowId,
    run_id: record.runId,
    seq: record.seq,
    at: record.at,
    runbook: record.runbook,
    event: record.event,
    operator: record.operator,
    app: record.app,
    environment: record.environment,
    summary: record.summary,
    details: JSON.stringify(record.details),
  };
  const names = Object.keys(columns);
  await backend.sql(
    `INSERT INTO runbook_audit (${names.join(', ')}) VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')})`,
    Object.values(columns),
  );
}

test('CLI readers need only read access: the documented read-only role lists and verifies, and cannot write', async () => {
  const admin = new PgClient({ connectionString: database.url });
  await admin.connect();
  const log = new PostgresAuditLog(database.url, { signer });
  const dbName = new URL(database.url).pathname.slice(1);
  try {
    await admin.query('DROP TABLE IF EXISTS runbook_audit');
    // config/postgres/reader-role.sql as the README and docker-compose use it, on this database with this
    // worker's role, run before the worker ever created its table.
    const script = readFileSync(path.join(PACKAGE_ROOT, 'config', 'postgres', 'reader-role.sql'), 'utf8')
      .replace('DATABASE runbooks', `DATABASE ${dbName}`)
      .replace('FOR ROLE runbooks', `FOR ROLE ${new URL(database.url).username}`);
    await admin.query(script);
    for (let n = 0; n < 3; n++) await log.append(entry(n));
    const url = `${POSTGRES.replace(/\/\/[^@]+@/, '//runbook_reader:runbook_reader@')}/${dbName}`;
    const env = { RUNBOOK_AUDIT_DB: url, RUNBOOK_AUDIT_PUBLIC_KEYS: signer.publicKey };
    const verified = await runCli(['audit', 'verify', '--no-temporal'], env);
    expect({ code: verified.code, stdout: verified.stdout, stderr: verified.stderr }).toMatchObject({ code: 0 });
    expect(verified.stdout).toContain('is intact: 3 records');
    const listed = await runCli(['audit', '--json'], env);
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as unknown[]).length).toBe(3);
    // And the role really cannot write: the worker alone does.
    const asReader = new PostgresAuditLog(url, { signer });
    await expect(asReader.append(entry(9))).rejects.toThrow(/permission denied/);
    await asReader.close();
  } finally {
    await log.close();
    await admin.query('DROP OWNED BY runbook_reader').catch(() => undefined);
    await admin.end();
    await dropRoleEverywhere('runbook_reader');
  }
});

/** The role is the cluster's: gone from this database's grants (above) and then from the cluster. */
async function dropRoleEverywhere(role: string): Promise<void> {
  const admin = new PgClient({ connectionString: `${POSTGRES}/postgres` });
  await admin.connect();
  try {
    await admin.query(`DROP OWNED BY ${role}`).catch(() => undefined);
    await admin.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
  } finally {
    await admin.end();
  }
}

test('a store opened without the signing key refuses to write, saying only the worker writes', async () => {
  const log = new SqliteAuditLog(path.join(process.env.RUNBOOK_TEST_DIR!, `keyless-${randomUUID()}.db`));
  try {
    await expect(log.append(entry(0))).rejects.toThrow(/opened without the audit signing key: only the worker writes/);
  } finally {
    await log.close();
  }
});

test('a trail from before chaining is moved aside, not mixed into the chain', async () => {
  const location = path.join(process.env.RUNBOOK_TEST_DIR!, `unchained-${randomUUID()}.db`);
  const raw = new Database(location);
  raw.exec(`CREATE TABLE runbook_audit (workflow_id TEXT, run_id TEXT, seq INTEGER, at TEXT, runbook TEXT, event TEXT,
    operator TEXT, app TEXT, environment TEXT, summary TEXT, details TEXT)`);
  raw
    .prepare(
      "INSERT INTO runbook_audit VALUES ('old', 'r', 0, '2026-01-01T00:00:00.000Z', 'x', 'started', 'a', NULL, NULL, 's', '{}')",
    )
    .run();
  raw.close();
  const log = new SqliteAuditLog(location, { signer });
  try {
    await log.append(entry(0));
    expect(await verifyStore(log, keyring)).toMatchObject({ ok: true, checked: 1 });
    const moved = new Database(location, { readonly: true });
    expect(moved.prepare('SELECT COUNT(*) AS n FROM runbook_audit_unchained').get()).toEqual({ n: 1 });
    moved.close();
  } finally {
    await log.close();
  }
});

test('an exported trail verifies on its own, also an export of part of it, and an edit in the file is found', async () => {
  const backend = await sqliteBackend();
  try {
    for (let n = 0; n < 6; n++) await backend.log.append(entry(n));
    const records = await backend.log.records();
    const file = (name: string, lines: unknown[]) => {
      const where = path.join(process.env.RUNBOOK_TEST_DIR!, `${name}-${randomUUID()}.jsonl`);
      writeFileSync(where, lines.map((line) => JSON.stringify(line)).join('\n') + '\n');
      return where;
    };
    const env = { RUNBOOK_AUDIT_PUBLIC_KEYS: signer.publicKey };
    const whole = await runCli(['audit', 'verify', '--file', file('whole', records)], env);
    expect({ code: whole.code, stdout: whole.stdout }).toMatchObject({ code: 0 });
    expect(whole.stdout).toContain('is intact: 6 records');
    const part = await runCli(['audit', 'verify', '--file', file('part', records.slice(2))], env);
    expect(part.code).toBe(0);
    expect(part.stdout).toContain('It begins at record 3');
    const edited = records.map((r) => (r.position === 5 ? { ...r, operator: 'mallory@csis.example' } : r));
    const bad = await runCli(['audit', 'verify', '--file', file('edited', edited), '--json'], env);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ ok: false, firstBreak: { position: 5, problem: 'edited' } });
    const gap = await runCli(
      ['audit', 'verify', '--file', file('gap', [...records.slice(0, 2), ...records.slice(3)])],
      env,
    );
    expect(gap.code).toBe(1);
    expect(gap.stdout).toContain('record 3 is missing');
  } finally {
    await backend.close();
  }
});
