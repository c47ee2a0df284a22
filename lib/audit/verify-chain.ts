import type { AuditKeyring } from './audit-keys';
import { GENESIS_HASH, recordHash, type ChainedEntry } from './chain';

/** The first record that breaks the chain, and how. */
export interface ChainBreak {
  position: number;
  /** Which record it is (as stored: these may be what was tampered with). */
  record: { workflowId: string; runId: string; seq: number; at: string; summary: string };
  problem: 'missing' | 'reordered' | 'edited' | 'unsigned' | 'unknown-key';
  /** What is wrong, for people. */
  message: string;
}

export interface ChainReport {
  ok: boolean;
  /** How many records were read. */
  checked: number;
  /** The last record up to which every record is intact (null: not even the first). */
  goodThrough: { position: number; hash: string; at: string } | null;
  /** The chain's last record as stored (null: the store is empty). */
  head: { position: number; hash: string } | null;
  firstBreak?: ChainBreak;
  /** The key IDs that signed the good records. */
  keyIds: string[];
  /**
   * Set when the records checked begin after the chain's first (an export `--since`): the position they begin at.
   * The first one's link to the record before it cannot be checked from them alone.
   */
  startsAt?: number;
}

/**
 * Walks records in chain order and reports the first one that is not what the worker wrote: a gap in positions or a
 * previous-hash that does not match (a record deleted, inserted or moved), a hash that does not match the content
 * (edited), or a signature that the trusted keys do not make (forged without the key, or re-hashed after an edit).
 */
export class ChainVerifier {
  private previous: { position: number; hash: string; at: string } | null = null;
  private checked = 0;
  private head: { position: number; hash: string } | null = null;
  private firstBreak?: ChainBreak;
  private readonly keyIds = new Set<string>();

  private startsAt?: number;

  /** `segment`: the records may begin anywhere in the chain (an export of part of it), not only at its first. */
  constructor(
    private readonly keyring: AuditKeyring,
    private readonly options: { segment?: boolean } = {},
  ) {}

  /** Checks the next record; false once the chain is broken (later records are not checked: nothing follows). */
  add(record: ChainedEntry): boolean {
    this.checked++;
    this.head = { position: record.position, hash: record.hash };
    if (this.firstBreak) return false;
    const problem = this.problemWith(record);
    if (problem) {
      this.firstBreak = {
        position: record.position,
        record: {
          workflowId: record.workflowId,
          runId: record.runId,
          seq: record.seq,
          at: record.at,
          summary: record.summary,
        },
        ...problem,
      };
      return false;
    }
    this.keyIds.add(record.keyId);
    this.previous = { position: record.position, hash: record.hash, at: record.at };
    return true;
  }

  report(): ChainReport {
    return {
      ok: !this.firstBreak,
      checked: this.checked,
      goodThrough: this.previous,
      head: this.head,
      ...(this.firstBreak && { firstBreak: this.firstBreak }),
      keyIds: [...this.keyIds],
      ...(this.startsAt && { startsAt: this.startsAt }),
    };
  }

  private problemWith(record: ChainedEntry): Pick<ChainBreak, 'problem' | 'message'> | null {
    if (this.checked === 1 && this.options.segment && record.position > 1) this.startsAt = record.position;
    const expectedPosition = this.previous ? this.previous.position + 1 : (this.startsAt ?? 1);
    const expectedPrev = this.previous?.hash ?? (this.startsAt ? record.prevHash : GENESIS_HASH);
    if (record.position > expectedPosition) {
      const missing =
        record.position - expectedPosition === 1
          ? `record ${expectedPosition} is missing`
          : `records ${expectedPosition}–${record.position - 1} are missing`;
      return { problem: 'missing', message: `${missing} (deleted?): the chain jumps to ${record.position}` };
    }
    if (record.position < expectedPosition) {
      return {
        problem: 'reordered',
        message: `position ${record.position} appears again after ${expectedPosition - 1}`,
      };
    }
    if (record.prevHash !== expectedPrev) {
      return {
        problem: 'reordered',
        message: `it does not follow record ${expectedPosition - 1}: it names ${short(record.prevHash)} as the record before it, which is ${short(expectedPrev)} (a record inserted, deleted or moved here)`,
      };
    }
    const hash = recordHash(record, record);
    if (hash !== record.hash) {
      return {
        problem: 'edited',
        message: `its content does not match its hash: it was changed after it was written (stored ${short(record.hash)}, content hashes to ${short(hash)})`,
      };
    }
    if (!this.keyring.has(record.keyId)) {
      return {
        problem: 'unknown-key',
        message: `it is signed by key ${record.keyId}, which is not one of the trusted audit keys (${this.keyring.keyIds().join(', ') || 'none'}): add that worker's public key to RUNBOOK_AUDIT_PUBLIC_KEYS if it is yours`,
      };
    }
    if (!this.keyring.verify(record.keyId, record.hash, record.signature)) {
      return {
        problem: 'unsigned',
        message: `its signature is not key ${record.keyId}'s: it was written or re-hashed by someone without the worker's audit key`,
      };
    }
    return null;
  }
}

function short(hash: string): string {
  return hash.slice(0, 12);
}

/** A store's records in chain order, read a page at a time (what verify and export walk). */
export async function* walkChain(
  store: { records(query: { afterPosition?: number; limit?: number }): Promise<ChainedEntry[]> },
  pageSize = 1000,
): AsyncGenerator<ChainedEntry> {
  for (let after = 0; ;) {
    const page = await store.records({ afterPosition: after, limit: pageSize });
    yield* page;
    if (page.length < pageSize) return;
    after = page.at(-1)!.position;
  }
}

/** Verifies a store's whole chain. */
export async function verifyStore(
  store: { records(query: { afterPosition?: number; limit?: number }): Promise<ChainedEntry[]> },
  keyring: AuditKeyring,
  pageSize = 1000,
): Promise<ChainReport> {
  const verifier = new ChainVerifier(keyring);
  for await (const record of walkChain(store, pageSize)) verifier.add(record);
  return verifier.report();
}
