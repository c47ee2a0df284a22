import { ApplicationFailure, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import { FailureTypes } from '../common/errors';
import { unknownWorkflowTypeMessage } from '../common/workflow-types';

/**
 * The worker's default workflow (the SDK runs a workflows module's default export for any type it does not export):
 * a type nobody registered — `maintenance-on`, the CLI's name, for `maintenanceOn` — fails at once, naming the
 * closest registered type and the runbooks' types, instead of waiting "Running" for a worker that never comes.
 */
export default async function unknownWorkflowType(): Promise<never> {
  const message = unknownWorkflowTypeMessage(workflowInfo().workflowType);
  setCurrentDetails(`**Failed:** ${message}`);
  const failure = ApplicationFailure.create({ type: FailureTypes.UnknownWorkflowType, nonRetryable: true, message });
  // The failure is the message: a stack trace of this function would only hide it in the UI.
  failure.stack = '';
  throw failure;
}
