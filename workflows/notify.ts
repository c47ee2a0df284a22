import { ActivityFailure, CancellationScope, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { NotificationActivities } from '../activities';
import type { ResolvedTarget } from '../common/environments';
import { FailureTypes, rootMessage } from '../common/errors';
import {
  describeWebhook,
  idempotencyKey,
  type NotificationEvent,
  type NotifiedPlan,
  type NotifySettings,
  type RunbookNotification,
} from '../common/notifications';

// Tells the team (the target's `notify` settings) that a run waits for approval, succeeded, or failed. Deliveries
// run beside the run and never fail or hold it up: each is retried by Temporal, and one that finally fails is written
// to the audit trail as a notice. The run awaits them before it ends.

/** What notifying needs of a run (RunbookRun in workflows/runbook.ts has it all). */
export interface NotifyHost {
  readonly name: string;
  readonly operator: string;
  readonly mutating: boolean;
  readonly resolvedTarget: ResolvedTarget | null;
  readonly leftState: string | null;
  audit(event: 'notice', summary: string, details?: Record<string, unknown>): Promise<void>;
}

/** The deliveries each run started, awaited by `notifyEnd`. */
const deliveries = new WeakMap<NotifyHost, Promise<void>[]>();

type Content = Pick<RunbookNotification, 'summary' | 'outcome' | 'message' | 'left' | 'plan'>;

function activities(settings: NotifySettings) {
  return proxyActivities<NotificationActivities>({
    startToCloseTimeout: '1 minute',
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '1 minute',
      maximumAttempts: settings.attempts,
      nonRetryableErrorTypes: [FailureTypes.NotificationRefused],
    },
  });
}

/**
 * Starts sending `event` to every channel of the run's target, without waiting; the promise resolves (never
 * rejects) when every delivery has ended. Nothing is sent by read-only runbooks, for targets without `notify`, for
 * events the settings leave out, or in runs begun before notifications existed.
 */
export function notify(run: NotifyHost, event: NotificationEvent, content: Content, keyExtra?: string): Promise<void> {
  const target = run.resolvedTarget;
  const settings = target?.notify;
  if (!target || !settings || !run.mutating || !settings.on.includes(event)) return Promise.resolve();
  if (settings.webhooks.length === 0 && !settings.email) return Promise.resolve();
  // Runs begun on a worker without notifications replay without these commands.
  if (!patched('notifications')) return Promise.resolve();
  const { workflowId, runId } = workflowInfo();
  const notification: RunbookNotification = {
    event,
    idempotencyKey: idempotencyKey(workflowId, runId, event, keyExtra),
    runbook: run.name,
    workflowId,
    runId,
    app: target.app,
    environment: target.environment,
    requester: run.operator,
    at: new Date().toISOString(),
    ...content,
  };
  const send = activities(settings);
  const where = target.environment ?? target.app;
  const summary = (channel: string) => `notify ${channel}: ${run.name} ${event} on ${where}`;
  const jobs: Array<{ channel: string; deliver: () => Promise<unknown> }> = [
    ...settings.webhooks.map((webhook) => {
      const channel = `webhook ${describeWebhook(webhook.url)}`;
      return {
        channel,
        deliver: () =>
          send.deliverWebhook.executeWithOptions({ summary: summary(channel) }, [{ webhook, notification }]),
      };
    }),
    ...(settings.email ? [settings.email] : []).map((email) => {
      const channel = `e-mail to ${email.to.join(', ')}`;
      return {
        channel,
        deliver: async () => {
          const sent = await send.deliverEmail.executeWithOptions({ summary: summary(channel) }, [
            { email, notification },
          ]);
          if (sent.rejected.length > 0) {
            await record(run, notification, channel, `the mail server refused ${sent.rejected.join(', ')}`);
          }
        },
      };
    }),
  ];
  const all = CancellationScope.nonCancellable(() =>
    Promise.all(
      jobs.map(({ channel, deliver }) =>
        deliver().catch((err: unknown) => {
          const gaveUp =
            err instanceof ActivityFailure && err.retryState === 'MAXIMUM_ATTEMPTS_REACHED'
              ? ` (gave up after ${settings.attempts} attempt${settings.attempts === 1 ? '' : 's'})`
              : '';
          return record(run, notification, channel, `failed${gaveUp}: ${rootMessage(err)}`);
        }),
      ),
    ),
  ).then(() => undefined);
  const started = deliveries.get(run) ?? [];
  started.push(all);
  deliveries.set(run, started);
  return all;
}

/** A delivery that did not go as meant, on the record: the run goes on regardless. */
function record(run: NotifyHost, n: RunbookNotification, channel: string, what: string): Promise<void> {
  return CancellationScope.nonCancellable(() =>
    run.audit('notice', `notification "${n.event}" by ${channel} ${what}`, {
      notification: { event: n.event, idempotencyKey: n.idempotencyKey, channel },
    }),
  ).catch(() => undefined); // the trail is unavailable: the run's own end record says so
}

/** A plan offered for approval (workflows/approval.ts): who may approve, and the command that does it. */
export function notifyApprovalNeeded(
  run: NotifyHost,
  offered: { hash: string; text: string },
  need: { needed: number; ruleText: string },
  expiresAt: string | null,
  drift: string | null,
): void {
  const plan: NotifiedPlan = {
    hash: offered.hash,
    text: offered.text,
    approveCommand: `runbook approve ${workflowInfo().workflowId}`,
    needed: need.needed,
    approvers: need.ruleText,
    expiresAt,
    drift,
  };
  void notify(run, 'approval-needed', { plan }, offered.hash);
}

/**
 * The end of a run (workflows/runbook.ts): `succeeded` with its summary (not for a dry run), or `failed` with the
 * outcome, why, and how the app was left. Waits for every delivery the run started, this one included.
 */
export async function notifyEnd(
  run: NotifyHost,
  end: { result: { summary: string; dryRun?: unknown } } | { outcome: string; message: string },
): Promise<void> {
  if ('result' in end) {
    if (end.result.dryRun !== true) void notify(run, 'succeeded', { summary: end.result.summary });
  } else {
    void notify(run, 'failed', { outcome: end.outcome, message: end.message, left: run.leftState });
  }
  await Promise.all(deliveries.get(run) ?? []);
}
