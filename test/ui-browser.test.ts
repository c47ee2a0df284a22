import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import type { WorkflowHandle } from '@temporalio/client';
import { waitForRunbook } from '../client/launch';
import { approvalQuery } from '../common/messages';
import { PACKAGE_ROOT } from '../lib/paths';
import { freePort } from '../scripts/free-port';
import { PRODUCTION, RunbookHarness, STAGING } from './support/harness';
import { until } from './support/until';

// The README's "From the Temporal UI", done in a real browser: Debian's chromium (never a downloaded one), driven
// by playwright-core, against the Temporal dev server's own UI (2.42.1) on loopback. This file starts its own dev
// server WITH the UI (the suite's is headless), a worker on its own task queue and a simulator (the harness).
// Screenshots go to test-output/ui-browser/ (git-ignored). Waits are generous: a busy 2-core machine is slow.

const SCREENSHOTS = path.join(PACKAGE_ROOT, 'test-output', 'ui-browser');
const UI_WAIT = 60_000;
jest.setTimeout(300_000);

let dir: string;
let pidFile: string;
let ui: string;
let harness: RunbookHarness;
let browser: Browser;
let page: Page;
const started: WorkflowHandle[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(process.env.RUNBOOK_TEST_DIR!, 'ui-browser-'));
  rmSync(SCREENSHOTS, { recursive: true, force: true });
  mkdirSync(SCREENSHOTS, { recursive: true });
  const [port, uiPort] = [await freePort(), await freePort()];
  pidFile = path.join(dir, 'temporal.pid');
  execFileSync('bash', [path.join(PACKAGE_ROOT, 'scripts/temporal.sh'), 'start'], {
    env: {
      ...process.env,
      TEMPORAL_PORT: String(port),
      TEMPORAL_UI_PORT: String(uiPort),
      TEMPORAL_DB: '',
      TEMPORAL_PID_FILE: pidFile,
    },
    stdio: 'inherit',
  });
  ui = `http://127.0.0.1:${uiPort}`;
  // The harness connects to the suite's server by this variable: to this file's own, for this file only.
  const suiteServer = process.env.RUNBOOK_TEST_TEMPORAL_ADDRESS;
  process.env.RUNBOOK_TEST_TEMPORAL_ADDRESS = `127.0.0.1:${port}`;
  try {
    harness = await RunbookHarness.start({
      environments: { production: { app: PRODUCTION }, staging: { app: STAGING } },
    });
  } finally {
    process.env.RUNBOOK_TEST_TEMPORAL_ADDRESS = suiteServer;
  }
  await harness.sim.control('PUT', 'clock', { speed: 60 });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-gpu',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.setDefaultTimeout(UI_WAIT);
}, 180_000);

afterAll(async () => {
  for (const handle of started) await handle.terminate('test cleanup').catch(() => undefined);
  await browser?.close();
  await harness?.stop();
  // The dev server this file started, by the PID in its PID file.
  if (pidFile) {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  }
}, 120_000);

afterEach(async () => {
  // Whatever the test saw last, for whoever reads why it failed.
  const name =
    expect
      .getState()
      .currentTestName?.replace(/[^a-z0-9]+/gi, '-')
      .slice(0, 80) ?? 'test';
  await page?.screenshot({ path: path.join(SCREENSHOTS, `${name}-last.png`), fullPage: true }).catch(() => undefined);
});

/** The one visible element of `selector` (the UI renders some modals twice, one of them hidden). */
function visible(selector: string): Locator {
  return page.locator(selector).filter({ visible: true }).first();
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Types into the UI's JSON editor (CodeMirror): as text inserted, so that it closes no brackets of its own. */
async function typeJson(editor: Locator, value: unknown): Promise<void> {
  await editor.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(JSON.stringify(value));
}

/** Fills the Start Workflow form as the README says, and starts; returns the run's handle. */
async function startFromForm(workflowId: string, workflowType: string, input: unknown): Promise<WorkflowHandle> {
  await page.goto(`${ui}/namespaces/default/workflows/start-workflow`);
  await visible('#workflowId').fill(workflowId);
  await visible('#taskQueue').fill(harness.taskQueue);
  await visible('#workflowType').fill(workflowType);
  await typeJson(visible('.cm-content'), input);
  // The editor hands its text to the form when it loses focus.
  await visible('#workflowType').click();
  await shot(`${workflowId}-form`);
  await visible('[data-testid="start-workflow-button"]').click();
  const handle = harness.client.workflow.getHandle(workflowId);
  started.push(handle);
  await until(
    () =>
      handle.describe().then(
        () => true,
        () => false,
      ),
    (exists) => exists,
    `the UI to start ${workflowId}`,
    UI_WAIT,
  );
  return handle;
}

/** The page's text with its frames' (the UI renders Markdown, the current details, in sandboxed iframes). */
async function pageText(): Promise<string> {
  const texts = await Promise.all(
    page.frames().map((frame) =>
      frame
        .locator('body')
        .innerText({ timeout: 5_000 })
        .catch(() => ''),
    ),
  );
  return texts.join('\n');
}

/** Opens a run's "User Metadata" tab, reloading until its current details contain `text`. */
async function currentDetailsShow(workflowId: string, text: string): Promise<string> {
  const deadline = Date.now() + UI_WAIT * 2;
  for (;;) {
    await page.goto(`${ui}/namespaces/default/workflows/${workflowId}`);
    await visible('#user-metadata-tab').click();
    try {
      // Read from outside the page (the UI's CSP forbids evaluating scripts in it).
      const shown = Date.now() + 15_000;
      while (!(await pageText()).includes(text)) {
        if (Date.now() > shown) throw new Error(`the current details do not show "${text}"`);
        await page.waitForTimeout(500);
      }
      return await pageText();
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
  }
}

test('maintenanceOn for staging, started from the Start Workflow form, puts the simulated app in maintenance', async () => {
  const handle = await startFromForm(`ui-maintenance-on-${Date.now()}`, 'maintenanceOn', {
    environment: 'staging',
    operator: 'alice',
    reason: 'from the browser test',
  });
  expect((await waitForRunbook(handle as never)).status).toBe('succeeded');
  const effects = await harness.sim.effects();
  expect(effects.some((effect) => effect.app === STAGING && /maintenance|config/i.test(effect.kind))).toBe(true);
  const details = await currentDetailsShow(handle.workflowId, 'Succeeded.');
  expect(details).toContain('maintenance-on');
  expect(details).toContain('unverified (claims: alice)');
  await shot('maintenance-on-user-metadata');
});

test('bad input from the form fails the run at once, the failure naming the field', async () => {
  const before = (await harness.sim.effects()).length;
  const handle = await startFromForm(`ui-bad-input-${Date.now()}`, 'maintenanceOn', {
    environment: 'staging',
    operator: 'alice',
    waitForLock: 'yes',
  });
  const outcome = await waitForRunbook(handle as never);
  expect(outcome.status).toBe('failed');
  await page.goto(`${ui}/namespaces/default/workflows/${handle.workflowId}`);
  await page.getByText('Invalid input for maintenance-on').first().waitFor();
  await page.getByText('waitForLock').first().waitFor();
  await shot('bad-input-failure');
  expect((await harness.sim.effects()).length).toBe(before);
});

test("a waiting DR's plan and hash are in its current details; an unproven approval Update from the UI is refused with a clear message; the CLI's proven approval proceeds", async () => {
  const { handle, approval } = await harness.recoveryAwaitingApproval(started, {
    timing: { heartbeatTimeoutSeconds: 5 },
  });
  const hash = approval.planHash!;
  const details = await currentDetailsShow(handle.workflowId, `Plan hash: ${hash}`);
  expect(details).toContain(`Waiting for approval — plan hash ${hash}`);
  expect(details).toContain(`Plan hash: ${hash}`);
  expect(details).toContain('Disaster recovery of csis-reconasia-alfa (production)');
  expect(details).toContain('Send an Update');
  expect(details).toContain(`runbook approve ${handle.workflowId}`);
  await shot('dr-waiting-user-metadata');

  // Send an Update → approve, without a proof: the modal shows the refusal, and it does not reveal any hash.
  await visible('button:has-text("More Actions")').click();
  await visible('[data-testid="update-button"]').click();
  const modal = page
    .locator('dialog, [role="dialog"]')
    .filter({ hasText: 'Send an Update' })
    .filter({ visible: true })
    .first();
  // The name is a list of the run's Update handlers (from its metadata query): pick `approve`.
  await page
    .getByRole('button', { name: /Select an Update/ })
    .filter({ visible: true })
    .first()
    .click();
  await shot('dr-update-names');
  await page
    .getByRole('option')
    .filter({ visible: true })
    .filter({ hasText: /^\s*approve\b/ })
    .first()
    .click();
  await typeJson(modal.locator('.cm-content').first(), { planHash: hash, reason: 'looks right' });
  await modal.getByText('Data').first().click(); // the editor hands its text to the modal when it loses focus
  await shot('dr-update-approve-form');
  await modal.locator('[data-testid="confirm-modal-button"]').click();
  await modal.getByText('no identity proof', { exact: false }).first().waitFor();
  await shot('dr-update-refused');
  expect((await handle.query(approvalQuery)).status).toBe('waiting');

  // The proven approval, as `runbook approve` sends it (bob), goes on to the restore.
  await harness.approve(handle, 'bob', { reason: 'checked the plan' });
  const outcome = await waitForRunbook(handle as never);
  expect(outcome.status).toBe('succeeded');
  const after = await currentDetailsShow(handle.workflowId, 'Succeeded.');
  expect(after).toContain('approved by bob@csis.example');
  await shot('dr-succeeded-user-metadata');
});
