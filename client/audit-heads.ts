import type { Client } from '@temporalio/client';
import type { AuditHead } from '../common/audit';
import type { ChainedEntry } from '../lib/audit/chain';

/** A run Temporal still keeps whose last record the trail does not hold as the run left it. */
export interface HeadMismatch {
  workflowId: string;
  runId: string;
  head: AuditHead;
  message: string;
}

export interface HeadComparison {
  /** Runs of this trail (by chain ID) that Temporal keeps and that name their last record. */
  compared: number;
  mismatches: HeadMismatch[];
}

/**
 * Compares the trail with Temporal: every closed run of this trail that Temporal still keeps names, in its memo, the
 * position and hash of its last record. The chain alone cannot show records cut from its end; this can, for as
 * long as Temporal's retention keeps the runs that wrote them.
 */
export async function compareWithTemporal(
  client: Client,
  chainId: string,
  recordAt: (position: number) => Promise<ChainedEntry | undefined>,
  { limit = 500 }: { limit?: number } = {},
): Promise<HeadComparison> {
  let compared = 0;
  const mismatches: HeadMismatch[] = [];
  let seen = 0;
  for await (const run of client.workflow.list({ query: "ExecutionStatus != 'Running'" })) {
    if (++seen > limit) break;
    const head = run.memo?.auditHead as AuditHead | undefined;
    if (!head || head.chain !== chainId) continue;
    compared++;
    const record = await recordAt(head.position);
    const mismatch = (message: string) =>
      mismatches.push({ workflowId: run.workflowId, runId: run.runId, head, message });
    if (!record)
      mismatch(
        `Temporal's run ${run.workflowId} (${run.runId}) wrote record ${head.position}, which the trail no longer has: records were cut from its end`,
      );
    else if (record.hash !== head.hash)
      mismatch(
        `Temporal's run ${run.workflowId} (${run.runId}) left record ${head.position} with hash ${head.hash.slice(0, 12)}; the trail's record ${head.position} has ${record.hash.slice(0, 12)}`,
      );
  }
  return { compared, mismatches };
}
