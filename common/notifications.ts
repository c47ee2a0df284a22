import { z } from 'zod';

// Who is told what a runbook does, per environment (`notify` in the environments file): webhooks (a JSON POST,
// signed) and e-mail (SMTP). Secrets are named by environment variable, never written here: the config is read by
// the workflows (it travels in their history), the secrets only by the activity that sends.

/** What a notification is about. A cancelled run is `failed` (its outcome says `cancelled`). */
export const NotificationEvent = z.enum(['approval-needed', 'succeeded', 'failed']);
export type NotificationEvent = z.infer<typeof NotificationEvent>;
export const NOTIFICATION_EVENTS = NotificationEvent.options;

const EnvVarName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, {
  message: 'must be the NAME of an environment variable of the worker (the secret itself stays out of this file)',
});

export const WebhookSettings = z.strictObject({
  url: z
    .url({ protocol: /^https?$/, message: 'must be an http:// or https:// URL' })
    .refine((url) => !/^[a-z]+:\/\/[^/?#]*@/i.test(url), {
      message: 'must not carry credentials: sign with secretEnv instead',
    }),
  /** The worker's environment variable holding the HMAC-SHA256 key the body is signed with. */
  secretEnv: EnvVarName,
});
export type WebhookSettings = z.infer<typeof WebhookSettings>;

export const EmailSettings = z.strictObject({
  to: z.array(z.email()).min(1),
  from: z.string().min(1).optional(),
  /** The worker's environment variable holding the SMTP URL (`smtp://user:password@host:587`, `smtps://…:465`). */
  smtpUrlEnv: EnvVarName.default('RUNBOOK_SMTP_URL'),
});
export type EmailSettings = z.infer<typeof EmailSettings>;

export const NotifySettings = z.strictObject({
  webhooks: z.array(WebhookSettings).default([]),
  email: EmailSettings.optional(),
  /** Which events are sent (default: all three). */
  on: z
    .array(NotificationEvent)
    .min(1)
    .default([...NOTIFICATION_EVENTS]),
  /** How many times Temporal tries each delivery (backoff 1 s, 2 s, 4 s, … up to a minute) before it gives up. */
  attempts: z.int().min(1).max(20).default(6),
});
export type NotifySettings = z.infer<typeof NotifySettings>;

/** The sender used when `email.from` is not set. Real SMTP servers usually want an address of their domain. */
export const DEFAULT_EMAIL_FROM = 'heroku-runbooks <heroku-runbooks@localhost>';

/** A plan waiting for approval, as an approver reads it. */
export interface NotifiedPlan {
  hash: string;
  /** The plan as `runbook approve` prints it. */
  text: string;
  /** `runbook approve <workflow-id>`. */
  approveCommand: string;
  needed: number;
  approvers: string;
  expiresAt: string | null;
  /** Why it is offered again, when the live state changed after an earlier approval. */
  drift: string | null;
}

/** What is sent, as the webhook's JSON body and the e-mail's text. Never secrets: it travels in the history. */
export interface RunbookNotification {
  event: NotificationEvent;
  /** workflowId/runId/event (percent-encoded parts): the same on every redelivery, so a receiver drops repeats. */
  idempotencyKey: string;
  runbook: string;
  workflowId: string;
  runId: string;
  app: string;
  environment: string | null;
  /** Who asked: a verified email, or `unverified (claims: …)`. */
  requester: string;
  /** When the event happened (workflow time). */
  at: string;
  /** succeeded: the run's one-line summary. */
  summary?: string;
  /** failed: `failed`, `cancelled`, `refused`, `not-approved`, `rejected`, `lock-broken`. */
  outcome?: string;
  /** failed: why. */
  message?: string;
  /** failed: how the run left the app, when it says (null: it did not change what it says nothing about). */
  left?: string | null;
  /** approval-needed: the plan and how to approve it. */
  plan?: NotifiedPlan;
}

/** A delivery's key: the same on each retry of one event of one run. */
export function idempotencyKey(workflowId: string, runId: string, event: NotificationEvent, extra?: string): string {
  return [workflowId, runId, event, ...(extra ? [extra] : [])].map(encodeURIComponent).join('/');
}

function where(n: RunbookNotification): string {
  return n.environment ? `${n.app} (${n.environment})` : n.app;
}

/** The e-mail's subject line, in the seed's deployhooks manner ("{{app}} {{release}} Deployed"). */
export function notificationSubject(n: RunbookNotification): string {
  switch (n.event) {
    case 'approval-needed':
      return `[runbook] ${where(n)}: ${n.runbook} waits for approval (plan ${n.plan?.hash ?? '?'})`;
    case 'succeeded':
      return `[runbook] ${where(n)}: ${n.runbook} succeeded`;
    case 'failed':
      return `[runbook] ${where(n)}: ${n.runbook} ${n.outcome === 'cancelled' ? 'was cancelled' : `${n.outcome ?? 'failed'}`}`;
  }
}

/** The e-mail's text: what happened, the plan or the left state, and the run's IDs. */
export function notificationText(n: RunbookNotification): string {
  const lines: string[] = [];
  if (n.event === 'approval-needed' && n.plan) {
    lines.push(
      `${n.runbook} on ${where(n)}, requested by ${n.requester}, waits for ${n.plan.needed} verified approver${n.plan.needed === 1 ? '' : 's'} (${n.plan.approvers}).`,
      ...(n.plan.drift ? ['', `Offered again: ${n.plan.drift}.`] : []),
      '',
      n.plan.text,
      '',
      `Approve it (after reading the plan; it shows the hash again): ${n.plan.approveCommand}`,
      ...(n.plan.expiresAt ? [`Without a decision by ${n.plan.expiresAt} the run ends "not approved".`] : []),
    );
  } else if (n.event === 'succeeded') {
    lines.push(`${n.runbook} on ${where(n)}, requested by ${n.requester}, succeeded.`, '', n.summary ?? '');
  } else {
    lines.push(
      `${n.runbook} on ${where(n)}, requested by ${n.requester}: ${n.outcome ?? 'failed'}.`,
      '',
      n.message ?? '',
      '',
      `How the app was left: ${n.left ?? `the run states nothing more (runbook status ${n.workflowId})`}`,
    );
  }
  lines.push('', `Run: ${n.workflowId} (run ${n.runId}), ${n.at}`, `Status: runbook status ${n.workflowId}`);
  return lines.join('\n');
}

/** A webhook as messages name it: its URL without query or fragment (where a token might sit). */
export function describeWebhook(url: string): string {
  return url.replace(/[?#].*$/, '');
}
