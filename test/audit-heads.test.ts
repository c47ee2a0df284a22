import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import type { AuditHead } from '../common/audit';
import { createLogger } from '../worker/logger';
import { runCli } from './support/cli';
import { RunbookHarness, STAGING } from './support/harness';

// What lets the trail be checked from outside itself: each run leaves the position and hash of its last record in
// Temporal (result and memo), and each record is copied as a JSON line to the worker's log. Records cut from the
// end of the chain — which the chain alone cannot show — are found by comparing with Temporal.

jest.setTimeout(180_000);

let harness: RunbookHarness;
const logLines: string[] = [];

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  harness = await RunbookHarness.start(
    { environments: { staging: { app: STAGING } } },
    { auditLogCopy: createLogger('info', sink) },
  );
});
afterAll(() => harness?.stop());

interface LoggedRecord {
  msg: string;
  alert?: string;
  audit: { workflowId: string; position: number; hash: string; signature: string; event: string };
}

function logged(workflowId: string): LoggedRecord[] {
  return logLines
    .map((line) => JSON.parse(line) as LoggedRecord)
    .filter((line) => line.audit?.workflowId === workflowId);
}

test('runs leave their last record in Temporal and in the log; a trail cut short disagrees with Temporal', async () => {
  const succeeded = await harness.start('maintenance-on', { environment: 'staging' });
  const result = (await succeeded.result()) as { auditHead: AuditHead };
  const failed = await harness.start('maintenance-on', { app: 'no-such-app-here' });
  await expect(failed.result()).rejects.toThrow();

  const records = await harness.audit.records({ limit: 10_000 });
  const chain = records[0].hash;
  for (const handle of [succeeded, failed]) {
    const own = records.filter((record) => record.workflowId === handle.workflowId);
    const last = own.at(-1)!;
    expect(['succeeded', 'failed']).toContain(last.event);
    const head = { position: last.position, hash: last.hash, chain };
    expect((await handle.describe()).memo?.auditHead).toEqual(head);
    if (handle === succeeded) expect(result.auditHead).toEqual(head);
    // The log's copy: each record once, with the same hash and signature as the store's.
    expect(
      logged(handle.workflowId).map((line) => [line.audit.position, line.audit.hash, line.audit.signature]),
    ).toEqual(own.map((record) => [record.position, record.hash, record.signature]));
  }
  const failedLines = logged(failed.workflowId);
  expect(failedLines.at(-1)).toMatchObject({ alert: 'runbook-failed', audit: { event: 'failed' } });
  expect(logged(succeeded.workflowId).some((line) => line.alert)).toBe(false);

  const env = {
    TEMPORAL_ADDRESS: process.env.RUNBOOK_TEST_TEMPORAL_ADDRESS!,
    RUNBOOK_AUDIT_DB: harness.audit.location,
  };
  const intact = await runCli(['audit', 'verify'], env);
  expect({ code: intact.code, stdout: intact.stdout, stderr: intact.stderr }).toMatchObject({ code: 0 });
  expect(intact.stdout).toMatch(
    /Temporal: the last records of the [2-9]\d* ended run\(s\) it keeps are all in the trail/,
  );

  // The database's administrator deletes the failed run's last record: the chain that is left is intact...
  const raw = new Database(harness.audit.location);
  raw.prepare('DELETE FROM runbook_audit WHERE position = ?').run(records.at(-1)!.position);
  raw.close();
  const cut = await runCli(['audit', 'verify'], env);
  expect(cut.stdout).toContain('is intact');
  // ...but Temporal still knows where it ended.
  expect(cut.code).toBe(1);
  expect(cut.stdout).toContain(
    `Temporal's run ${failed.workflowId} (${(await failed.describe()).runId}) wrote record ${records.at(-1)!.position}, which the trail no longer has: records were cut from its end`,
  );
});
