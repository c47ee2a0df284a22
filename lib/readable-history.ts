import type { Client } from '@temporalio/client';

/**
 * A run's whole history as text, with every payload decoded: what anyone with UI or API access could read. The
 * secret scans (the tests', the chaos run's) search it.
 */
export async function readableHistory(client: Client, workflowId: string, runId?: string): Promise<string> {
  const { historyToJSON } = await import('@temporalio/common/lib/proto-utils');
  const json = historyToJSON(await client.workflow.getHandle(workflowId, runId).fetchHistory());
  // Payloads are base64 in the JSON: decoded, they are what a reader sees.
  const payloads = [...json.matchAll(/"data":\s*"([A-Za-z0-9+/=]+)"/g)].map(([, data]) =>
    Buffer.from(data, 'base64').toString(),
  );
  return `${json}\n${payloads.join('\n')}`;
}
