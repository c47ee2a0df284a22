import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';

// How Temporal itself ended a run that did not end by its own code (terminated, timed out): what `runbook status`
// says, and what the worker's end reconciler writes to the audit trail for a run that could not.

export interface TemporalEnd {
  type: 'Terminated' | 'TimedOut';
  message: string;
  /** For a terminated run: who terminated it (the client's identity) and why, as they said. */
  identity?: string;
  reason?: string;
}

/** How Temporal ended a TERMINATED or TIMED_OUT run, from the close event of its history. */
export async function endedInTemporal(client: Client, description: WorkflowExecutionDescription): Promise<TemporalEnd> {
  const { history } = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId: description.workflowId, runId: description.runId },
    historyEventFilterType: temporal.api.enums.v1.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
  });
  const event = history?.events?.at(-1);
  const terminated = event?.workflowExecutionTerminatedEventAttributes;
  if (terminated) {
    return {
      type: 'Terminated',
      identity: terminated.identity || undefined,
      reason: terminated.reason || undefined,
      message: `terminated in Temporal by ${terminated.identity || 'an unnamed client'}: ${terminated.reason || '(no reason given)'}`,
    };
  }
  const config = description.raw.executionConfig;
  const timeouts = [
    ['run timeout', config?.workflowRunTimeout],
    ['execution timeout', config?.workflowExecutionTimeout],
  ] as const;
  const limit = timeouts.find(([, duration]) => duration && tsToMs(duration) > 0);
  return {
    type: 'TimedOut',
    message: `timed out in Temporal: it did not finish within its workflow ${limit ? `${limit[0]} (${describeMs(tsToMs(limit[1]))})` : 'timeout'}`,
  };
}

function describeMs(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 120) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  return minutes < 120 ? `${minutes} min` : `${Math.round(minutes / 60)} h`;
}
