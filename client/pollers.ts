import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

/**
 * Whether any worker polled this task queue recently. A run started with no worker just waits; the operator
 * should hear that at once rather than stare at a silent terminal.
 */
export async function hasWorkflowPollers(client: Client, taskQueue: string): Promise<boolean> {
  const response = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  return (response.pollers ?? []).length > 0;
}
