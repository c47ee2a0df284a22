import { randomUUID } from 'node:crypto';
import { Client } from 'pg';

// The machine's Postgres (127.0.0.1:5432, trust auth; .ci/run makes sure it is up).
export const POSTGRES = process.env.RUNBOOK_TEST_POSTGRES || 'postgres://postgres@127.0.0.1:5432';

async function admin<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: `${POSTGRES}/postgres` });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh, empty database for one test file; returns its URL and a function that drops it. */
export async function createTestDatabase(prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomUUID().slice(0, 8)}`;
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  return {
    url: `${POSTGRES}/${name}`,
    drop: () => admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}
