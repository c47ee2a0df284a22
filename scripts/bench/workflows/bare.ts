// The bench's baseline (item 4): a bare Temporal workflow that calls one runbook activity and nothing else — no
// audit records, no progress, no lock — to compare a runbook step with. It calls it twice (on, then off), so that
// the second call is timed mid-workflow, as a runbook's steps are, not in the workflow's first task.
import { proxyActivities } from '@temporalio/workflow';
import type { ChangeActivities } from '../../../activities';

const { setMaintenanceConfigVar } = proxyActivities<Pick<ChangeActivities, 'setMaintenanceConfigVar'>>({
  startToCloseTimeout: '30 seconds',
});

type Request = Parameters<ChangeActivities['setMaintenanceConfigVar']>[0];

export async function bareMaintenanceConfigVar(requests: Request[]): Promise<void> {
  for (const request of requests) await setMaintenanceConfigVar(request);
}
