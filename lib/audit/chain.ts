import { createHash } from 'node:crypto';
import type { AuditEntry } from '../../common/audit';

/**
 * Each record in a store carries the hash of the one before it and the worker's signature over its own hash: a
 * database administrator without the signing key can edit, insert, delete or reorder records, but not so that
 * `runbook audit verify` fails to notice.
 */
export interface ChainLink {
  /** 1, 2, 3 … in the order the store took them: the chain's order. */
  position: number;
  /** The previous record's hash (GENESIS_HASH for the first). */
  prevHash: string;
  /** SHA-256 (hex) of the record's canonical JSON, its position and prevHash included. */
  hash: string;
  /** Which audit key signed it (auditKeyId of its public key). */
  keyId: string;
  /** Ed25519 signature (base64) over `hash`. */
  signature: string;
}

/** A record as the store keeps it: what was written, and its place in the chain. */
export type ChainedEntry = AuditEntry & ChainLink;

export const GENESIS_HASH = '0'.repeat(64);

/** JSON with object keys sorted at every depth and no spacing: the same bytes for the same value, whoever writes. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** What a record's hash covers: every column but the hash and signature themselves. */
export function chainedContent(entry: AuditEntry, link: Pick<ChainLink, 'position' | 'prevHash' | 'keyId'>) {
  return {
    position: link.position,
    prevHash: link.prevHash,
    keyId: link.keyId,
    workflowId: entry.workflowId,
    runId: entry.runId,
    seq: entry.seq,
    at: entry.at,
    runbook: entry.runbook,
    event: entry.event,
    operator: entry.operator,
    app: entry.app,
    environment: entry.environment,
    summary: entry.summary,
    details: entry.details,
  };
}

export function recordHash(entry: AuditEntry, link: Pick<ChainLink, 'position' | 'prevHash' | 'keyId'>): string {
  return createHash('sha256')
    .update(canonicalJson(chainedContent(entry, link)))
    .digest('hex');
}

/**
 * Times are hashed as the stores give them back: ISO 8601 in UTC with milliseconds (Postgres returns a Date, so
 * any other spelling of the same instant would not hash the same after a round trip).
 */
export function normalizedTime(at: string): string {
  const time = Date.parse(at);
  if (Number.isNaN(time)) throw new Error(`audit record time ${JSON.stringify(at)} is not a date`);
  return new Date(time).toISOString();
}
