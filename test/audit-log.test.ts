import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { AuditSigner } from '../lib/audit/audit-keys';
import type { AuditLog } from '../lib/audit/audit-log';
import { openAuditLog } from '../lib/audit/open-audit-log';
import { PostgresAuditLog } from '../lib/audit/postgres-audit-log';
import { SqliteAuditLog } from '../lib/audit/sqlite-audit-log';
import type { AuditEntry } from '../common/audit';
import { createTestDatabase } from './support/postgres';

const signer = new AuditSigner(AuditSigner.generate().privateKey);
let database: Awaited<ReturnType<typeof createTestDatabase>>;

function entry(overrides: Partial<AuditEntry>): AuditEntry {
  return {
    workflowId: 'maintenance-on.staging.1',
    runId: 'run-1',
    seq: 0,
    at: '2026-11-29T10:00:00.000Z',
    runbook: 'maintenance-on',
    event: 'started',
    operator: 'alice',
    app: 'csis-reconasia-bravo',
    environment: 'staging',
    summary: 'maintenance-on started by alice',
    details: { input: { environment: 'staging' } },
    ...overrides,
  };
}

beforeAll(async () => {
  database = await createTestDatabase('runbook_audit_test');
});
afterAll(() => database?.drop());

const backends: Array<[string, () => AuditLog]> = [
  [
    'SQLite',
    () => new SqliteAuditLog(path.join(process.env.RUNBOOK_TEST_DIR!, `audit-${randomUUID()}.db`), { signer }),
  ],
  ['Postgres', () => new PostgresAuditLog(database.url, { signer })],
];

describe.each(backends)('%s audit log', (_name, open) => {
  let log: AuditLog;
  beforeEach(() => {
    log = open();
  });
  afterEach(() => log.close());

  test('a write is idempotent: the same run and position is stored once, the first version kept', async () => {
    const workflowId = `wf-${randomUUID()}`;
    expect(await log.write(entry({ workflowId }))).toBe(true);
    // A retried activity writes the same record again, later.
    expect(await log.write(entry({ workflowId, at: '2026-11-29T10:00:05.000Z', summary: 'retry' }))).toBe(false);
    const stored = await log.query({ workflowId });
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject(entry({ workflowId }));
  });

  test('queries filter by app, runbook, operator, event and time, newest first', async () => {
    const workflowId = `wf-${randomUUID()}`;
    await log.write(entry({ workflowId, seq: 0, at: '2026-11-29T10:00:00.000Z' }));
    await log.write(
      entry({
        workflowId,
        seq: 1,
        at: '2026-11-29T10:00:01.000Z',
        event: 'change',
        summary: 'set MAINTENANCE_MODE on',
        details: { change: { what: 'config-var' } },
      }),
    );
    await log.write(entry({ workflowId, seq: 2, at: '2026-11-29T10:00:02.000Z', event: 'succeeded' }));
    await log.write(
      entry({
        workflowId: `${workflowId}-prod`,
        app: 'csis-reconasia-alfa',
        environment: 'production',
        operator: 'bob',
        at: '2026-11-29T11:00:00.000Z',
      }),
    );

    const run = await log.query({ workflowId });
    expect(run.map((e) => e.seq)).toEqual([2, 1, 0]);
    expect(run[1].details).toEqual({ change: { what: 'config-var' } });
    expect((await log.query({ workflowId, event: 'change' })).map((e) => e.summary)).toEqual([
      'set MAINTENANCE_MODE on',
    ]);
    expect((await log.query({ workflowId, since: '2026-11-29T10:00:01.000Z' })).map((e) => e.seq)).toEqual([2, 1]);
    expect((await log.query({ app: 'csis-reconasia-alfa', operator: 'bob' })).map((e) => e.workflowId)).toContain(
      `${workflowId}-prod`,
    );
    expect(await log.query({ app: 'csis-reconasia-alfa', operator: 'alice', workflowId })).toEqual([]);
    expect(await log.query({ workflowId, limit: 1 })).toHaveLength(1);
  });
});

test('RUNBOOK_AUDIT_DB picks the backend: a postgres:// URL (password hidden in messages) or a SQLite file', async () => {
  const pg = openAuditLog(database.url.replace('postgres://postgres@', 'postgres://postgres:s3cret-pass@'));
  expect(pg).toBeInstanceOf(PostgresAuditLog);
  expect(pg.location).not.toContain('s3cret-pass');
  await pg.close();
  const file = path.join(process.env.RUNBOOK_TEST_DIR!, 'picked.db');
  const sqlite = openAuditLog(file);
  expect(sqlite).toBeInstanceOf(SqliteAuditLog);
  expect(sqlite.location).toBe(file);
  await sqlite.close();
});
