import type { WorkflowHandle } from '@temporalio/client';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { waitForRunbook } from '../client/launch';
import type { ApprovalState, DisasterRecoveryResult } from '../common/disaster-recovery';
import { approvalQuery, approveSignal, approveUpdate, progressQuery } from '../common/messages';
import { PEOPLE, PRODUCTION, STAGING, useRunbookHarness, type PersonName } from './support/harness';
import { until } from './support/until';

// Identity is proven by Heroku, not typed: the people are the simulator's (alice operates the reconasia apps, bob
// is a team admin, carol may only view), the worker runs on the service account's token, and the environments'
// access rules are the defaults (production: changing needs operate, destructive runbooks a second person with
// manage or team admin; staging: operate, no approval) — except where a test says otherwise.
const files = useRunbookHarness({
  environments: {
    production: {
      app: PRODUCTION,
      access: {
        // A second approver for runs whose requester is unverified (alice has operate, not manage).
        approval: {
          approvers: { permissions: ['manage'], teamRoles: ['admin', 'owner'], emails: ['alice@csis.example'] },
          timeoutMinutes: 60,
        },
      },
    },
    staging: { app: STAGING, access: {} },
    // A third app, so that two runs can wait for approval at once (one changing runbook per app).
    lab: { app: 'chinapower', access: { approval: { runbooks: ['run-command'] } } },
  },
});

const started = files.started;

const FAST = { heartbeatTimeoutSeconds: 5 };

function recoveryAwaitingApproval(options: { as?: PersonName; operator?: string } = {}) {
  return files.harness.recoveryAwaitingApproval(
    started,
    { timing: FAST, ...(options.operator && { operator: options.operator }) },
    { as: options.as },
  );
}

async function refusal(pending: Promise<unknown>): Promise<string> {
  try {
    await pending;
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) return err.cause?.message ?? err.message;
    throw err;
  }
  throw new Error('expected a refusal');
}

const effects = async (kind?: string) =>
  (await files.harness.sim.effects()).filter((effect) => kind === undefined || effect.kind === kind);

async function trailOf(handle: WorkflowHandle) {
  return files.harness.audit.query({ workflowId: handle.workflowId, limit: 200 });
}

test("alice's production DR: her own approval and carol's are refused, bob's is accepted and recorded as bob@csis.example", async () => {
  const { handle, approval } = await recoveryAwaitingApproval({ as: 'alice' });
  expect(approval).toMatchObject({ requester: PEOPLE.alice.email, requesterVerified: true, needed: 1 });
  expect(approval.approvers).toMatch(/app permission manage on csis-reconasia-alfa/);

  // alice cannot approve her own run, whatever name she types (`--operator bob` is only a claim).
  const claimedBob = await files.harness.atRealSpeed(async () => {
    const { proof } = await files.harness.prover('alice').prove('approve', handle.workflowId, approval.planHash!);
    return refusal(
      handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob', planHash: approval.planHash!, proof }] }),
    );
  });
  expect(claimedBob).toMatch(/^alice@csis\.example requested this run and cannot approve it/);
  // carol is verified, but the rule wants manage or a team admin: refused, naming the rule and what she has.
  expect(await refusal(files.harness.approve(handle, 'carol'))).toMatch(
    /^carol@csis\.example may not approve this: approving disaster-recovery on production needs app permission manage on csis-reconasia-alfa, or team role admin\/owner in csis-ilab.*\(carol@csis\.example has view on csis-reconasia-alfa; team role member\)/,
  );
  const decision = await files.harness.approve(handle, 'bob', { reason: 'checked the plan' });
  expect(decision).toMatchObject({ decision: 'approved', by: PEOPLE.bob.email, remaining: 0 });

  const outcome = await waitForRunbook<DisasterRecoveryResult>(handle as never);
  if (outcome.status !== 'succeeded') throw new Error(outcome.error.message);
  expect(outcome.result.operator).toBe(PEOPLE.alice.email);
  expect(outcome.result.approval).toMatchObject({ by: PEOPLE.bob.email, reason: 'checked the plan' });
  expect(outcome.result.summary).toMatch(/Approved by bob@csis\.example\./);

  const described = await handle.describe();
  expect(described.searchAttributes.Operator).toEqual([PEOPLE.alice.email]);
  expect(described.searchAttributes.Approver).toEqual([PEOPLE.bob.email]);

  const trail = await trailOf(handle);
  expect(trail.find((entry) => entry.event === 'started')?.operator).toBe(PEOPLE.alice.email);
  const approved = trail.find(
    (entry) => entry.event === 'approval' && /approved by bob@csis\.example/.test(entry.summary),
  );
  expect(approved?.operator).toBe(PEOPLE.bob.email);
  const refusals = trail.filter((entry) => entry.event === 'approval' && /refused/.test(entry.summary));
  // Each under the verified person who sent it, whatever name they typed.
  expect(refusals.map((entry) => [entry.operator, entry.summary]).sort()).toEqual([
    [
      PEOPLE.alice.email,
      expect.stringMatching(
        /^approval by alice@csis\.example \(claiming to be bob\) refused: alice@csis\.example requested this run/,
      ),
    ],
    [
      PEOPLE.carol.email,
      expect.stringMatching(/^approval by carol@csis\.example refused: carol@csis\.example may not approve this/),
    ],
  ]);
  // Exactly one restore, made by the worker's account.
  expect((await effects('restore')).length).toBe(1);
});

test('a proof replayed from history, an expired one, and ones bound to another run or plan hash are refused', async () => {
  const first = await recoveryAwaitingApproval({ as: 'alice' });
  const second = await files.harness.start(
    'run-command',
    { environment: 'lab', command: 'python manage.py check', timing: FAST },
    undefined,
    { as: 'bob' }, // alice may only view chinapower
  );
  started.push(second);
  const secondApproval = await until(
    () => second.query(approvalQuery),
    (state) => state.status === 'waiting',
    'the command to wait for approval',
  );
  const hash = first.approval.planHash!;

  // Bound to another run: bob's proof for `first`, sent to `second`.
  const otherRun = await files.harness.atRealSpeed(async () => {
    const { proof } = await files.harness.prover('bob').prove('approve', first.handle.workflowId, hash);
    return refusal(second.executeUpdate(approveUpdate, { args: [{ planHash: secondApproval.planHash!, proof }] }));
  });
  expect(otherRun).toMatch(/The identity proof was not made for approving plan .* of /);
  // Bound to another plan hash.
  expect(await refusal(files.harness.approve(first.handle, 'bob', { proofFor: '0123456789abcdef' }))).toMatch(
    /The identity proof was not made for approving plan/,
  );
  // Expired: made while simulated time runs 1,000 times faster (its 300 s are 0.3 real ones), sent a second later.
  await files.harness.sim.control('PUT', 'clock', { speed: 1000 });
  const { proof: stale } = await files.harness.prover('bob').prove('approve', first.handle.workflowId, hash);
  await files.harness.sim.control('PUT', 'clock', { speed: 60 });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  expect(
    await refusal(first.handle.executeUpdate(approveUpdate, { args: [{ planHash: hash, proof: stale }] })),
  ).toMatch(/Heroku no longer accepts the identity proof's token \(it expired, was revoked, or was used already\)/);

  // Accepted once; then every token any proof of the run carried is revoked: nothing in its history authenticates.
  await files.harness.approve(first.handle, 'bob');
  expect((await waitForRunbook(first.handle as never)).status).toBe('succeeded');
  const tokens = tokensIn(await first.handle.fetchHistory(), first.handle.workflowId, [
    'start:disaster-recovery',
    `approve:${hash}`,
  ]);
  expect(tokens.length).toBeGreaterThanOrEqual(2); // the start's and bob's
  for (const token of tokens) expect(await accountStatus(token)).toBe(401);

  // The start's proof, copied from that history into a new run under the same workflow ID (as `temporal workflow
  // start --workflow-id … --input …` would): it opens (same run ID, action and runbook) but its token is revoked.
  const [startProof] = proofsIn(await first.handle.fetchHistory());
  const replayedStart = await files.harness.client.workflow.start('disasterRecovery', {
    args: [{ environment: 'production', backup: 'b016', proof: startProof }],
    taskQueue: files.harness.taskQueue,
    workflowId: first.handle.workflowId,
  });
  started.push(replayedStart);
  const refusedStart = await waitForRunbook(replayedStart);
  expect(refusedStart.status === 'failed' && refusedStart.error).toMatchObject({
    type: 'ProofRefused',
    message: expect.stringMatching(
      /^The start's identity proof was refused: Heroku no longer accepts the identity proof's token .*Nothing was changed/,
    ),
  });
  expect((await replayedStart.describe()).searchAttributes.RunbookOutcome).toEqual(['refused']);
});

test('restore-backup on production does not restore without a second verified person', async () => {
  const handle = await files.harness.start(
    'restore-backup',
    { environment: 'production', backup: 'b016', confirm: PRODUCTION, timing: FAST },
    undefined,
    { as: 'alice' },
  );
  started.push(handle);
  const waiting = await until(
    () => handle.query(approvalQuery),
    (state) => state.status === 'waiting',
    'the restore to wait for approval',
  );
  expect(waiting.planText).toMatch(
    /^restore-backup on csis-reconasia-alfa \(production\), requested by alice@csis\.example/,
  );
  expect(await effects('restore')).toEqual([]);
  await files.harness.reject(handle, 'bob', 'not tonight');
  const outcome = await waitForRunbook(handle);
  expect(outcome.status === 'failed' && outcome.error.message).toMatch(/^Rejected by bob@csis\.example: not tonight/);
  expect(await effects('restore')).toEqual([]);
});

test('a start from the Temporal UI is recorded unverified and needs two verified approvers', async () => {
  // As the UI starts it: one JSON object, no proof; the operator field is only a claim.
  const { handle, approval } = await recoveryAwaitingApproval({ operator: 'alice' });
  expect(approval).toMatchObject({ requester: 'unverified (claims: alice)', requesterVerified: false, needed: 2 });
  expect((await handle.query(progressQuery)).operator).toBe('unverified (claims: alice)');
  // The Temporal UI's "User Metadata" tab says so too, and how to approve from the UI.
  const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
  expect(metadata.currentDetails).toMatch(/requested by unverified \(claims: alice\)/);
  expect(metadata.currentDetails).toMatch(/Needs 2 verified approvers/);
  expect(metadata.currentDetails).toContain(
    `runbook proof approve ${handle.workflowId} --plan-hash ${approval.planHash}`,
  );

  // An unproven Signal (what the UI sends without `runbook proof`) is refused and recorded.
  await handle.signal(approveSignal, { approver: 'bob', planHash: approval.planHash! });
  const refused = await until(
    () => handle.query(approvalQuery),
    (state: ApprovalState) => state.refused.length > 0,
    'the unproven signal to be refused',
  );
  expect(refused.refused[0]).toMatchObject({
    by: 'unverified (claims: bob)',
    why: expect.stringMatching(/^no identity proof/),
  });

  const firstApproval = await files.harness.approve(handle, 'bob');
  expect(firstApproval).toMatchObject({ by: PEOPLE.bob.email, remaining: 1 });
  expect(await refusal(files.harness.approve(handle, 'bob'))).toMatch(
    /bob@csis\.example has approved this plan already/,
  );
  // bob's proof, taken from the run's history and sent again as someone else's approval: its token is revoked.
  const [replayed] = proofsIn(await handle.fetchHistory());
  expect(
    await refusal(
      handle.executeUpdate(approveUpdate, {
        args: [{ approver: 'carol', planHash: approval.planHash!, proof: replayed! }],
      }),
    ),
  ).toMatch(/Heroku no longer accepts the identity proof's token/);
  expect(await effects()).toEqual([]);
  const done = await files.harness.approve(handle, 'alice');
  expect(done).toMatchObject({ by: `${PEOPLE.bob.email} and ${PEOPLE.alice.email}`, remaining: 0 });
  const outcome = await waitForRunbook<DisasterRecoveryResult>(handle as never);
  if (outcome.status !== 'succeeded') throw new Error(outcome.error.message);
  expect(outcome.result.operator).toBe('unverified (claims: alice)');
  const trail = await trailOf(handle);
  expect(trail.find((entry) => entry.event === 'started')?.operator).toBe('unverified (claims: alice)');
});

test('on staging an unverified start waits for one verified person who may operate; carol may not start changes', async () => {
  const handle = await files.harness.start('maintenance-on', { environment: 'staging', operator: 'mallory' });
  started.push(handle);
  const waiting = await until(
    () => handle.query(approvalQuery),
    (state) => state.status === 'waiting',
    'the unverified run to wait',
  );
  expect(waiting).toMatchObject({ needed: 1, requester: 'unverified (claims: mallory)' });
  expect(waiting.approvers).toMatch(/app permission operate on csis-reconasia-bravo/);
  expect(await refusal(files.harness.approve(handle, 'carol'))).toMatch(
    /carol@csis\.example may not approve this: vouching for an unverified requester on staging needs app permission operate/,
  );
  await files.harness.approve(handle, 'alice');
  expect((await waitForRunbook(handle)).status).toBe('succeeded');

  const carol = await files.harness.start('maintenance-on', { environment: 'staging' }, undefined, { as: 'carol' });
  const outcome = await waitForRunbook(carol);
  expect(outcome.status === 'failed' && outcome.error).toMatchObject({
    type: 'AccessDenied',
    message: expect.stringMatching(
      /^carol@csis\.example may not run maintenance-on on csis-reconasia-bravo: changing staging needs app permission operate .*\(carol@csis\.example has view on csis-reconasia-bravo; team role member\)\. Nothing was changed/,
    ),
  });
  expect((await carol.describe()).searchAttributes.RunbookOutcome).toEqual(['refused']);
  // One maintenance switch in all: the vouched-for run's.
  expect((await effects()).filter((effect) => effect.kind !== 'oauth-authorization').length).toBeGreaterThan(0);
});

/** The sealed proofs in a history's payloads (base64 JSON), in order. */
function proofsIn(history: unknown): string[] {
  const found: string[] = [];
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (key === 'data' && (typeof value === 'string' || value instanceof Uint8Array)) {
        const text =
          typeof value === 'string'
            ? Buffer.from(value, 'base64').toString('utf8')
            : Buffer.from(value).toString('utf8');
        for (const match of text.matchAll(/"proof":"(sealed:v2:[^"]+)"/g)) found.push(match[1]!);
      } else visit(value);
    }
  };
  visit(history);
  return found;
}

/** The tokens inside a run's proofs, opened as the worker would (the test holds the worker's key). */
function tokensIn(history: unknown, workflowId: string, names: string[]): string[] {
  const tokens: string[] = [];
  for (const proof of proofsIn(history)) {
    for (const name of names) {
      try {
        const opened = files.harness.sealing.open(proof, { purpose: 'identity-proof', workflowId, name });
        tokens.push((JSON.parse(opened) as { token: string }).token);
      } catch {
        // sealed under another name
      }
    }
  }
  return tokens;
}

async function accountStatus(token: string): Promise<number> {
  const response = await fetch(`${files.harness.sim.url}/account`, {
    headers: { Authorization: `Bearer ${token}`, Accept: 'application/vnd.heroku+json; version=3' },
  });
  return response.status;
}
