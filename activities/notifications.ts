import { createHash, createHmac } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { createTransport } from 'nodemailer';
import { FailureTypes } from '../common/errors';
import {
  DEFAULT_EMAIL_FROM,
  describeWebhook,
  notificationSubject,
  notificationText,
  type EmailSettings,
  type RunbookNotification,
  type WebhookSettings,
} from '../common/notifications';

/** The headers a webhook receiver reads: the signature of the raw body, and the key that names the delivery. */
export const SIGNATURE_HEADER = 'X-Runbook-Signature';
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

export interface NotificationDependencies {
  /** Where the secrets the config names are read (default: the worker's process.env). */
  env?: NodeJS.ProcessEnv;
  /** How long one webhook POST or SMTP exchange may take (default 10 s). */
  timeoutMs?: number;
}

/** `sha256=<hex>`: the HMAC-SHA256 of the exact body bytes, keyed with the webhook's secret. */
export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

const refused = (message: string) =>
  ApplicationFailure.create({ type: FailureTypes.NotificationRefused, nonRetryable: true, message });
const undelivered = (message: string) =>
  ApplicationFailure.create({ type: FailureTypes.NotificationUndelivered, message });

/** A receiver's answer, short and on one line: for messages, never for secrets (we send none to it). */
function snippet(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line ? `: ${line.length > 200 ? `${line.slice(0, 200)}…` : line}` : '';
}

/**
 * Sends notifications: one delivery per activity, so each webhook and the e-mail are retried on their own by
 * Temporal (the workflow's retry policy). A delivery that cannot succeed by retrying (the receiver refused it, the
 * worker lacks the secret the config names) fails non-retryably, saying why. Messages never carry a secret: not
 * the HMAC key, not the SMTP URL or its password.
 */
export function notificationActivities(deps: NotificationDependencies = {}) {
  const env = () => deps.env ?? process.env;
  const timeoutMs = deps.timeoutMs ?? 10_000;
  return {
    async deliverWebhook(request: {
      webhook: WebhookSettings;
      notification: RunbookNotification;
    }): Promise<{ status: number }> {
      const { webhook, notification } = request;
      const name = `webhook ${describeWebhook(webhook.url)}`;
      const secret = env()[webhook.secretEnv];
      if (!secret) {
        throw refused(
          `${name}: ${webhook.secretEnv} is not set on the worker (it holds the key the body is signed with); nothing was sent. Set it and restart the worker.`,
        );
      }
      const body = JSON.stringify(notification);
      let response: Response;
      try {
        response = await fetch(webhook.url, {
          method: 'POST',
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
          headers: {
            'Content-Type': 'application/json',
            'User-Agent': 'heroku-runbooks',
            [SIGNATURE_HEADER]: signBody(body, secret),
            [IDEMPOTENCY_HEADER]: notification.idempotencyKey,
            'X-Runbook-Event': notification.event,
            'X-Runbook-Attempt': String(Context.current().info.attempt),
          },
          body,
        });
      } catch (err) {
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        throw undelivered(`${name} unreachable: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
      }
      const answer = snippet(await response.text().catch(() => ''));
      const { status } = response;
      if (status >= 200 && status < 300) return { status };
      if (status >= 300 && status < 400) {
        throw refused(`${name} answered a redirect (HTTP ${status}): configure the URL it redirects to`);
      }
      if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
        throw refused(
          `${name} refused the notification with HTTP ${status}${answer}; not retried (a 4xx is the receiver's answer): check its URL and that it verifies with the secret in ${webhook.secretEnv}`,
        );
      }
      throw undelivered(`${name} answered HTTP ${status}${answer}`);
    },

    async deliverEmail(request: {
      email: EmailSettings;
      notification: RunbookNotification;
    }): Promise<{ messageId: string; accepted: string[]; rejected: string[] }> {
      const { email, notification } = request;
      const name = `e-mail to ${email.to.join(', ')}`;
      const url = env()[email.smtpUrlEnv];
      if (!url) {
        throw refused(
          `${name}: ${email.smtpUrlEnv} is not set on the worker (the SMTP server, smtp://user:password@host:587); nothing was sent. Set it and restart the worker.`,
        );
      }
      let password = '';
      try {
        const parsed = new URL(url);
        if (!/^smtps?:$/.test(parsed.protocol)) throw new Error('not smtp');
        password = decodeURIComponent(parsed.password);
      } catch {
        throw refused(`${name}: ${email.smtpUrlEnv} is not an smtp:// or smtps:// URL; nothing was sent`);
      }
      // Whatever the server or the library says back, the URL and the password never reach a message.
      const scrub = (text: string) => {
        let clean = text.split(url).join(`<${email.smtpUrlEnv}>`);
        if (password) clean = clean.split(password).join('<password>');
        return clean;
      };
      const transport = createTransport({
        url,
        connectionTimeout: timeoutMs,
        greetingTimeout: timeoutMs,
        socketTimeout: timeoutMs * 2,
      });
      try {
        // The same Message-ID on every retry: mail clients may fold a redelivered copy into the first.
        const messageId = `<${createHash('sha256').update(notification.idempotencyKey).digest('hex').slice(0, 32)}@heroku-runbooks>`;
        const sent = await transport.sendMail({
          from: email.from ?? DEFAULT_EMAIL_FROM,
          to: email.to,
          subject: notificationSubject(notification),
          text: notificationText(notification),
          messageId,
          headers: {
            'X-Runbook-Event': notification.event,
            'X-Runbook-Idempotency-Key': notification.idempotencyKey,
          },
        });
        const addresses = (list: unknown) =>
          ((list as Array<string | { address: string }> | undefined) ?? []).map((a) =>
            typeof a === 'string' ? a : a.address,
          );
        return { messageId, accepted: addresses(sent.accepted), rejected: addresses(sent.rejected) };
      } catch (err) {
        const { code, responseCode, message } = err as { code?: string; responseCode?: number; message?: string };
        const why = `${name} via ${email.smtpUrlEnv} failed: ${scrub(message ?? String(err))}`;
        // A refused login or a permanent (5xx) answer does not change by trying again; a connection may.
        if (code === 'EAUTH' || (responseCode !== undefined && responseCode >= 500)) throw refused(why);
        throw undelivered(why);
      } finally {
        transport.close();
      }
    },
  };
}
