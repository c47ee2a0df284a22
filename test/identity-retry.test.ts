// A proof's verification tried again after its first attempt revoked the token (its worker died, or Heroku's
// answer to the revocation was lost — what the chaos runs do): the retry goes by the account the first attempt read
// and heartbeated, so the person is not refused as "used already". A heartbeat forged by someone with namespace
// access (who can record heartbeat details, but does not know the proof's token) is not believed.
import { MockActivityEnvironment } from '@temporalio/testing';
import { identityActivities } from '../activities/identity';
import { PlatformApi } from '../activities/heroku/platform-api';
import { IdentityProver } from '../client/identity';
import { SealingKeys } from '../lib/sealing';
import { PEOPLE } from './support/harness';
import { TestSimulator } from './support/simulator';

let sim: TestSimulator;
const sealing = new SealingKeys([SealingKeys.generate().privateKey]);

beforeAll(async () => {
  sim = await TestSimulator.start();
});
afterAll(() => sim?.close());

function activities() {
  const connection = { apiUrl: sim.url, dataApiUrl: sim.url, apiKey: sim.token };
  return identityActivities(connection, new PlatformApi(connection), sealing);
}

async function aliceProof(workflowId: string) {
  const { proof } = await new IdentityProver(PEOPLE.alice.token, sealing.sealer(), sim.url).prove(
    'start',
    workflowId,
    'maintenance-on',
  );
  return { proof, workflowId, action: 'start' as const, subject: 'maintenance-on' };
}

/** One attempt on its own worker (a fresh set of activities: nothing remembered in memory), with its heartbeats. */
async function attempt(request: Awaited<ReturnType<typeof aliceProof>>, number: number, heartbeatDetails?: unknown) {
  const env = new MockActivityEnvironment({ attempt: number, heartbeatDetails, activityId: '1' });
  const heartbeats: unknown[] = [];
  env.on('heartbeat', (details: unknown) => heartbeats.push(details));
  const outcome = await env
    .run(() => activities().verifyProof(request))
    .then(
      (identity) => ({ identity }),
      (err: Error) => ({ error: err.message }),
    );
  return { outcome, heartbeats };
}

test('a retry after the first attempt revoked the token goes by what that attempt read', async () => {
  const request = await aliceProof('identity-retry-1');
  const first = await attempt(request, 1);
  expect(first.outcome).toEqual({ identity: expect.objectContaining({ email: PEOPLE.alice.email, revoked: true }) });
  // The token no longer authenticates; the second attempt (as if the first one's answer was lost) still knows alice.
  const second = await attempt(request, 2, first.heartbeats.at(-1));
  expect(second.outcome).toEqual({ identity: expect.objectContaining({ email: PEOPLE.alice.email }) });
  // Without what the first attempt heartbeated, the spent token is refused, as a proof sent twice must be.
  expect((await attempt(request, 2)).outcome).toEqual({ error: expect.stringMatching(/no longer accepts/) });
});

test('heartbeat details forged by a namespace user do not make a spent proof prove someone else', async () => {
  const request = await aliceProof('identity-retry-2');
  const first = await attempt(request, 1);
  const genuine = first.heartbeats.at(-1) as { id: string; email: string; mac: string };
  const forged = { ...genuine, email: PEOPLE.bob.email };
  expect((await attempt(request, 2, forged)).outcome).toEqual({ error: expect.stringMatching(/no longer accepts/) });
  expect((await attempt(request, 2, { ...genuine, mac: 'f'.repeat(64) })).outcome).toEqual({
    error: expect.stringMatching(/no longer accepts/),
  });
});
