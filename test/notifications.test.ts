// Notifications as a receiver sees them: an HTTP sink and an SMTP sink on loopback, started by this file; the worker
// sends to them (webhook: a signed JSON POST; e-mail: nodemailer speaking SMTP, with a login) when a run waits for
// approval, succeeds or fails. Redeliveries carry the same idempotency key; a receiver that fails never fails the
// run; no secret reaches the history or the trail.
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WorkflowHandle } from '@temporalio/client';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { waitForRunbook } from '../client/launch';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { RunbookConfig } from '../common/environments';
import type { RunbookNotification } from '../common/notifications';
import { PACKAGE_ROOT } from '../lib/paths';
import { PRODUCTION, STAGING, useRunbookHarness } from './support/harness';
import { readableHistory } from './support/temporal';

// The seed's deployhooks:email recipient (heroku-setup.md), as in the README's example configuration.
const TEAM = 'reconnecting-asia@caktusgroup.com';
const HMAC_SECRET = `hmac-${randomUUID()}`;
const SMTP_USER = 'runbooks';
const SMTP_PASSWORD = `smtp-pw-${randomUUID()}`;
// Variables of this file only: the worker runs in this process and reads them when it sends.
const SECRET_ENV = 'NOTIFY_TEST_WEBHOOK_SECRET';
const SMTP_ENV = 'NOTIFY_TEST_SMTP_URL';

interface Delivery {
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  body: RunbookNotification;
  status: number;
}

interface Mail {
  to: string;
  subject: string;
  text: string;
  headers: Map<string, unknown>;
  messageId: string | undefined;
}

/** The webhook receiver: /hook accepts, /flaky fails twice per key then accepts, /down always fails, /refuse 400. */
class HttpSink {
  readonly deliveries: Delivery[] = [];
  /** The receiver's own de-duplication: the first accepted delivery of each idempotency key. */
  readonly accepted = new Map<string, Delivery>();
  private readonly flakyTries = new Map<string, number>();
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const key = String(req.headers['idempotency-key']);
        let status = 200;
        if (req.url === '/flaky') {
          const tries = (this.flakyTries.get(key) ?? 0) + 1;
          this.flakyTries.set(key, tries);
          if (tries <= 2) status = 500;
        } else if (req.url === '/down') status = 500;
        else if (req.url === '/refuse') status = 400;
        const delivery = { path: req.url ?? '', headers: req.headers, raw, body: JSON.parse(raw), status };
        this.deliveries.push(delivery);
        if (status === 200 && !this.accepted.has(key)) this.accepted.set(key, delivery);
        res.writeHead(status, { 'Content-Type': 'text/plain' }).end(status === 200 ? 'ok' : 'not now');
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  of(workflowId: string): Delivery[] {
    return this.deliveries.filter((d) => d.body.workflowId === workflowId);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** The mail server: SMTP with a login (PLAIN/LOGIN, no TLS on loopback), keeping what it is sent. */
class SmtpSink {
  readonly mails: Mail[] = [];
  readonly logins: string[] = [];
  private server!: SMTPServer;
  port = 0;

  async start(): Promise<void> {
    this.server = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      authMethods: ['PLAIN', 'LOGIN'],
      logger: false,
      onAuth: (auth, _session, callback) => {
        if (auth.username === SMTP_USER && auth.password === SMTP_PASSWORD) {
          this.logins.push(auth.username);
          return callback(null, { user: auth.username });
        }
        return callback(new Error('Invalid username or password'));
      },
      onData: (stream, _session, callback) => {
        simpleParser(stream)
          .then((parsed) => {
            const to = Array.isArray(parsed.to) ? parsed.to.map((a) => a.text).join(', ') : (parsed.to?.text ?? '');
            this.mails.push({
              to,
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              headers: parsed.headers,
              messageId: parsed.messageId,
            });
            callback();
          })
          .catch(callback);
      },
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.server.address() as AddressInfo).port;
  }

  of(workflowId: string): Mail[] {
    return this.mails.filter((mail) => mail.text.includes(`Run: ${workflowId} `));
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const http = new HttpSink();
const smtp = new SmtpSink();

// The sinks start before the harness (its config names their URLs): at module load, awaited in beforeAll below.
const sinks = Promise.all([http.start(), smtp.start()]).then(() => {
  process.env[SECRET_ENV] = HMAC_SECRET;
  process.env[SMTP_ENV] = `smtp://${SMTP_USER}:${SMTP_PASSWORD}@127.0.0.1:${smtp.port}`;
});
beforeAll(() => sinks, 30_000);

function notify(path: string, options: { email?: boolean; attempts?: number; smtpUrlEnv?: string } = {}) {
  return {
    webhooks: [{ url: `${http.url}${path}`, secretEnv: SECRET_ENV }],
    ...(options.email !== false && {
      email: { to: [TEAM], from: 'heroku-runbooks@csis.example', smtpUrlEnv: options.smtpUrlEnv ?? SMTP_ENV },
    }),
    ...(options.attempts && { attempts: options.attempts }),
  };
}

// useRunbookHarness registers its hooks now; the config it gets is read in its beforeAll, after the sinks started.
const setup = useRunbookHarness(
  {
    get environments() {
      return {
        staging: { app: STAGING, notify: notify('/hook') },
        production: { app: PRODUCTION, notify: notify('/hook') },
        'staging-flaky': { app: STAGING, notify: notify('/flaky', { email: false }) },
        'staging-down': {
          app: STAGING,
          notify: {
            webhooks: [
              { url: `${http.url}/down`, secretEnv: SECRET_ENV },
              { url: `${http.url}/refuse`, secretEnv: SECRET_ENV },
            ],
            email: { to: [TEAM], smtpUrlEnv: 'NOTIFY_TEST_SMTP_URL_NOT_SET' },
            attempts: 3,
          },
        },
        // No notify: nobody is told.
        'staging-quiet': { app: STAGING },
      };
    },
  },
  { speed: 60 },
);

afterAll(async () => {
  await Promise.all([http.stop(), smtp.stop()]);
  delete process.env[SECRET_ENV];
  delete process.env[SMTP_ENV];
});

const expectedKey = (handle: WorkflowHandle, runId: string, ...rest: string[]) =>
  [handle.workflowId, runId, ...rest].map(encodeURIComponent).join('/');

function validSignature(delivery: Delivery): boolean {
  const header = String(delivery.headers['x-runbook-signature']);
  const expected = `sha256=${createHmac('sha256', HMAC_SECRET).update(delivery.raw).digest('hex')}`;
  return header.length === expected.length && timingSafeEqual(Buffer.from(header), Buffer.from(expected));
}

/** The README's Notifications section: its example configuration and its few lines of Node that verify a signature. */
function readmeNotifications() {
  const readme = readFileSync(path.join(PACKAGE_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Notifications'));
  const example = JSON.parse(/```json\n([\s\S]*?)```/.exec(section)![1]) as unknown;
  const code = /```js\n([\s\S]*?)```/.exec(section)![1];
  const verify = new Function('require', `${code}\nreturn verifyRunbookSignature;`)(require) as (
    rawBody: string,
    header: unknown,
    secret: string,
  ) => boolean;
  return { example, verify };
}

test("the README's example configuration is valid, with the seed's deployhook recipient", () => {
  const config = RunbookConfig.parse(readmeNotifications().example);
  expect(config.environments.production.notify?.email?.to).toEqual([TEAM]);
  expect(config.environments.staging.notify).toMatchObject({ on: ['failed'], attempts: 6 });
});

/** No secret anywhere anyone with namespace or trail access reads: the history (payloads decoded) and the trail. */
async function expectNoSecrets(workflowId: string): Promise<void> {
  const history = await readableHistory(setup.harness.client, workflowId);
  const trail = JSON.stringify(await setup.harness.audit.query({ workflowId }));
  const configVars = (await setup.harness.sim.api().get(`/apps/${STAGING}/config-vars`)) as Record<string, string>;
  const configValues = Object.values(configVars).filter((value) => value.length >= 12);
  expect(configValues.length).toBeGreaterThan(0);
  expect(history).toContain(SECRET_ENV); // the variable's name is there, its value is not
  for (const text of [history, trail]) {
    for (const secret of [HMAC_SECRET, SMTP_PASSWORD, process.env[SMTP_ENV]!, ...configValues])
      expect(text).not.toContain(secret);
  }
}

test('maintenance-on on staging: a signed "succeeded" webhook and an e-mail with the summary', async () => {
  const { harness } = setup;
  const handle = await harness.start('maintenance-on', { environment: 'staging', reason: 'deploying the map fix' });
  const outcome = await waitForRunbook<{ summary: string }>(handle);
  if (outcome.status !== 'succeeded') throw new Error(`expected success: ${outcome.error.message}`);
  const runId = handle.firstExecutionRunId;

  // Delivered before the run ended.
  const [delivery, ...more] = http.of(handle.workflowId);
  expect(more).toEqual([]);
  expect(delivery.path).toBe('/hook');
  expect(delivery.headers['content-type']).toBe('application/json');
  expect(validSignature(delivery)).toBe(true);
  // As the README tells a receiver to check it; a body changed on the way does not verify.
  const { verify } = readmeNotifications();
  expect(verify(delivery.raw, delivery.headers['x-runbook-signature'], HMAC_SECRET)).toBe(true);
  expect(
    verify(delivery.raw.replace('succeeded', 'failed'), delivery.headers['x-runbook-signature'], HMAC_SECRET),
  ).toBe(false);
  expect(delivery.headers['idempotency-key']).toBe(expectedKey(handle, runId, 'succeeded'));
  expect(delivery.headers['x-runbook-event']).toBe('succeeded');
  expect(delivery.body).toMatchObject({
    event: 'succeeded',
    runbook: 'maintenance-on',
    workflowId: handle.workflowId,
    runId,
    app: STAGING,
    environment: 'staging',
    requester: 'unverified (claims: alice)',
    summary: outcome.result.summary,
  });

  const [mail, ...moreMail] = smtp.of(handle.workflowId);
  expect(moreMail).toEqual([]);
  expect(smtp.logins).toContain(SMTP_USER);
  expect(mail.to).toBe(TEAM);
  expect(mail.subject).toBe(`[runbook] ${STAGING} (staging): maintenance-on succeeded`);
  expect(mail.text).toContain(outcome.result.summary);
  expect(mail.headers.get('x-runbook-idempotency-key')).toBe(expectedKey(handle, runId, 'succeeded'));

  await expectNoSecrets(handle.workflowId);
});

test('a failing run: "failed" with how the app was left', async () => {
  const { harness } = setup;
  await harness.sim.control('PUT', 'data-api', { failNextRestores: 1 });
  const handle = await harness.start('disaster-recovery', {
    environment: 'staging',
    backup: 'b010',
    confirm: STAGING,
    timing: { heartbeatTimeoutSeconds: 5 },
  });
  setup.started.push(handle);
  const outcome = await waitForRunbook(handle);
  if (outcome.status !== 'failed') throw new Error('expected a failure');

  const [delivery, ...more] = http.of(handle.workflowId);
  expect(more).toEqual([]);
  expect(validSignature(delivery)).toBe(true);
  expect(delivery.body).toMatchObject({ event: 'failed', outcome: 'failed', runbook: 'disaster-recovery' });
  expect(delivery.body.message).toMatch(/did not complete successfully/);
  expect(delivery.body.left).toMatch(/maintenance left ON because the database may be inconsistent/);

  const [mail] = smtp.of(handle.workflowId);
  expect(mail.subject).toBe(`[runbook] ${STAGING} (staging): disaster-recovery failed`);
  expect(mail.text).toContain(`How the app was left: ${delivery.body.left}`);
});

test('a production disaster recovery waiting for approval: the plan, its hash and the approve command', async () => {
  const { harness, started } = setup;
  const { handle, approval } = await harness.recoveryAwaitingApproval(started);
  const { runId } = await handle.describe();
  const hash = approval.planHash!;
  // Sent beside the wait: the run does not wait for the delivery, the test does.
  const delivery = await eventually(() => http.of(handle.workflowId).find((d) => d.body.event === 'approval-needed'));
  expect(validSignature(delivery)).toBe(true);
  expect(delivery.headers['idempotency-key']).toBe(expectedKey(handle, runId, 'approval-needed', hash));
  expect(delivery.body.plan).toMatchObject({
    hash,
    text: approval.planText,
    approveCommand: `runbook approve ${handle.workflowId}`,
    needed: 1,
  });
  expect(delivery.body.plan!.text).toContain(`Plan hash: ${hash}`);
  const mail = await eventually(() => smtp.of(handle.workflowId)[0]);
  expect(mail.subject).toBe(
    `[runbook] ${PRODUCTION} (production): disaster-recovery waits for approval (plan ${hash})`,
  );
  expect(mail.text).toContain(approval.planText!);
  expect(mail.text).toContain(`runbook approve ${handle.workflowId}`);

  // Approved, it goes on and ends with its own notification.
  await harness.approve(handle, 'bob');
  await handle.result();
  expect(http.of(handle.workflowId).map((d) => d.body.event)).toEqual(['approval-needed', 'succeeded']);
});

test('a run cancelled while it waits: "failed" with outcome cancelled, sent although the run was cancelled', async () => {
  const { harness, started } = setup;
  const { handle } = await harness.recoveryAwaitingApproval(started);
  await eventually(() => http.of(handle.workflowId).find((d) => d.body.event === 'approval-needed'));
  await handle.cancel();
  await expect(handle.result()).rejects.toThrow();
  const failed = http.of(handle.workflowId).filter((d) => d.body.event === 'failed');
  expect(failed).toHaveLength(1);
  expect(failed[0].body).toMatchObject({ outcome: 'cancelled', runbook: 'disaster-recovery', app: PRODUCTION });
  expect(failed[0].body.message).toMatch(/^cancelled by /);
  const mail = smtp.of(handle.workflowId).find((m) => /was cancelled$/.test(m.subject));
  expect(mail?.subject).toBe(`[runbook] ${PRODUCTION} (production): disaster-recovery was cancelled`);
});

test('a receiver that answers 500 twice then 200 gets it again: one accepted delivery per event', async () => {
  const { harness } = setup;
  const handle = await harness.start('maintenance-on', { environment: 'staging-flaky' });
  expect((await waitForRunbook(handle)).status).toBe('succeeded');
  const key = expectedKey(handle, handle.firstExecutionRunId, 'succeeded');
  const deliveries = http.of(handle.workflowId);
  expect(deliveries.map((d) => d.status)).toEqual([500, 500, 200]);
  // Each redelivery is the same delivery: the same key and body, signed alike; the attempt header counts.
  expect(new Set(deliveries.map((d) => d.headers['idempotency-key']))).toEqual(new Set([key]));
  expect(new Set(deliveries.map((d) => d.raw)).size).toBe(1);
  expect(deliveries.every(validSignature)).toBe(true);
  expect(deliveries.map((d) => d.headers['x-runbook-attempt'])).toEqual(['1', '2', '3']);
  expect([...http.accepted.keys()].filter((k) => k === key)).toHaveLength(1);
  expect(await harness.audit.query({ workflowId: handle.workflowId, event: 'notice' })).toEqual([]);
});

test('receivers that always fail: the run still succeeds, and each failure is a notice in the trail', async () => {
  const { harness } = setup;
  const handle = await harness.start('maintenance-on', { environment: 'staging-down' });
  const outcome = await waitForRunbook(handle);
  expect(outcome.status).toBe('succeeded');

  const deliveries = http.of(handle.workflowId);
  // Retried up to `attempts` (3) on a 500; a 400 is the receiver's answer, not retried.
  expect(deliveries.filter((d) => d.path === '/down')).toHaveLength(3);
  expect(deliveries.filter((d) => d.path === '/refuse')).toHaveLength(1);
  const notices = (await harness.audit.query({ workflowId: handle.workflowId, event: 'notice' })).map(
    (entry) => entry.summary,
  );
  expect(notices).toEqual(
    expect.arrayContaining([
      expect.stringMatching(
        new RegExp(
          `^notification "succeeded" by webhook ${http.url}/down failed \\(gave up after 3 attempts\\): .*HTTP 500`,
        ),
      ),
      expect.stringMatching(/by webhook .*\/refuse failed: .*refused the notification with HTTP 400.*not retried/),
      expect.stringMatching(
        /by e-mail to reconnecting-asia@caktusgroup\.com failed: .*NOTIFY_TEST_SMTP_URL_NOT_SET is not set/,
      ),
    ]),
  );
  expect(notices).toHaveLength(3);
  await expectNoSecrets(handle.workflowId);
});

test('an environment without notify tells nobody', async () => {
  const { harness } = setup;
  const handle = await harness.start('maintenance-on', { environment: 'staging-quiet' });
  expect((await waitForRunbook(handle)).status).toBe('succeeded');
  expect(http.of(handle.workflowId)).toEqual([]);
  expect(smtp.of(handle.workflowId)).toEqual([]);
  expect(await readableHistory(harness.client, handle.workflowId)).not.toContain('deliverWebhook');
});

/** Polls the sinks (in this process, not Temporal) until `read` finds something, for up to a minute. */
async function eventually<T>(read: () => T | undefined): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const found = read();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error('nothing arrived at the sink within a minute');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
