import { createHmac, timingSafeEqual } from 'node:crypto';
import { activityInfo, heartbeat } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { FailureTypes } from '../common/errors';
import {
  PROOF_LIFETIME_SECONDS,
  proofSealName,
  type IdentityProof,
  type ProofAction,
  type Standing,
  type VerifiedIdentity,
} from '../common/identity';
import { SealingError, type SealingKeys } from '../lib/sealing';
import type { HerokuConnection } from './heroku/connection';
import { HerokuApiClient } from './heroku/request';
import type { PlatformApi } from './heroku/platform-api';

export interface VerifyProofRequest {
  /** The sealed proof, as the CLI sent it. */
  proof: string;
  /** What the proof must have been made for: this run, this action, this runbook or plan hash. */
  workflowId: string;
  action: ProofAction;
  subject: string;
}

function refused(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: FailureTypes.ProofRefused, nonRetryable: true, message });
}

function statusOf(err: unknown): number | undefined {
  const details = (err as ApplicationFailure).details?.[0] as { status?: number } | undefined;
  return details?.status;
}

/**
 * Proven identity: opens a proof the CLI sealed for this worker, reads the Heroku account with its token, and
 * revokes the token, so that nothing in the run's history can authenticate again. A proof that does not open
 * for this run and action, whose token Heroku no longer accepts (expired, revoked, used already) or that cannot be
 * revoked, is refused: the caller records the refusal.
 */
export function identityActivities(
  connection: HerokuConnection,
  service: PlatformApi,
  sealing: SealingKeys | undefined,
) {
  let serviceEmail: Promise<string | null> | null = null;
  const serviceAccount = (): Promise<string | null> =>
    (serviceEmail ??= service.account().then(
      (account) => account.email ?? null,
      () => null,
    ));

  function open(request: VerifyProofRequest): IdentityProof {
    if (!sealing) {
      throw refused(
        'The worker has no RUNBOOK_SEAL_KEYS, so it cannot open identity proofs: start it with its sealing keys (`runbook keys generate`).',
      );
    }
    let text: string;
    try {
      text = sealing.open(request.proof, {
        purpose: 'identity-proof',
        workflowId: request.workflowId,
        name: proofSealName(request.action, request.subject),
      });
    } catch (err) {
      if (!(err instanceof SealingError)) throw err;
      throw refused(
        `The identity proof was not made for ${describeAction(request)} (${err.message}): a proof is bound to one run, one action and, for an approval, one plan hash.`,
      );
    }
    const proof = JSON.parse(text) as IdentityProof;
    if (
      proof.v !== 1 ||
      proof.action !== request.action ||
      proof.workflowId !== request.workflowId ||
      proof.subject !== request.subject
    ) {
      throw refused(`The identity proof was not made for ${describeAction(request)}.`);
    }
    if (!(proof.expiresInSeconds > 0 && proof.expiresInSeconds <= PROOF_LIFETIME_SECONDS)) {
      throw refused(
        `The identity proof's token lives ${proof.expiresInSeconds} s: proofs are short-lived authorizations of at most ${PROOF_LIFETIME_SECONDS} s (the CLI makes them).`,
      );
    }
    return proof;
  }

  // A retried attempt of one verification (its first attempt revoked the token, then its result was lost) finds
  // its answer here; a proof sent again is another activity, and finds its token revoked.
  const verified = new Map<string, VerifiedIdentity>();
  const attemptKey = (): string => {
    const info = activityInfo();
    return `${info.workflowExecution?.runId}/${info.activityId}`;
  };

  return {
    async verifyProof(request: VerifyProofRequest): Promise<VerifiedIdentity> {
      const proof = open(request);
      const earlier = verified.get(attemptKey());
      if (earlier) return earlier;
      const asPerson = new HerokuApiClient(connection.apiUrl, proof.token);
      // What an earlier attempt of this verification read with the token before revoking it (it heartbeats it): a
      // retry after that attempt's worker died, or after Heroku's answer to the revocation was lost, finds the token
      // revoked — by this verification — and goes by the account it had read.
      const readBefore = provenBefore(activityInfo().heartbeatDetails, proof);
      let account: { id?: string; email?: string };
      let revokedBefore = false;
      try {
        account = await asPerson.request('GET', '/account');
      } catch (err) {
        const rejected = statusOf(err) === 401 || statusOf(err) === 403;
        if (!rejected) throw err;
        if (!readBefore) {
          throw refused(
            `Heroku no longer accepts the identity proof's token (it expired, was revoked, or was used already): send ${describeAction(request)} again with a new proof (the CLI makes one each time).`,
          );
        }
        account = readBefore;
        revokedBefore = true;
      }
      if (!account.email || !account.id) throw refused('Heroku answered the identity proof without an account.');
      if (account.email === (await serviceAccount())) {
        throw refused(
          `The identity proof is the worker's own Heroku account (${account.email}): a service account does not stand for a person. Use your own Heroku login.`,
        );
      }
      heartbeat(provenAccount({ id: account.id, email: account.email }, proof));
      try {
        if (!revokedBefore)
          await asPerson.request('DELETE', `/oauth/authorizations/${encodeURIComponent(proof.authorizationId)}`);
      } catch (err) {
        // Heroku unavailable, throttling, a dropped connection: the revocation is tried again (the activity's retry),
        // not mistaken for a proof that cannot be revoked.
        if (err instanceof ApplicationFailure && !err.nonRetryable) throw err;
        throw refused(
          `The identity proof's token could not be revoked (Heroku answered ${statusOf(err) ?? 'nothing'}${herokuSaid(err)}): a proof must be a single-use authorization the worker can revoke, so that nothing in the run's history can authenticate again.`,
        );
      }
      const identity: VerifiedIdentity = {
        email: account.email,
        accountId: account.id,
        authorizationId: proof.authorizationId,
        revoked: true,
      };
      verified.set(attemptKey(), identity);
      return identity;
    },

    /** A person's team role and app permissions, read with the worker's token. */
    async readStanding({ app, team, email }: { app: string; team: string | null; email: string }): Promise<Standing> {
      const teamName = team ?? (await service.getApp(app)).team?.name ?? null;
      const lower = email.toLowerCase();
      const collaborators = await service
        .teamAppCollaborators(app)
        .catch((err: unknown) => (statusOf(err) === 404 ? [] : Promise.reject(err)));
      const collaborator = collaborators.find((c) => c.user?.email?.toLowerCase() === lower);
      const members = teamName
        ? await service
            .teamMembers(teamName)
            .catch((err: unknown) => (statusOf(err) === 404 ? [] : Promise.reject(err)))
        : [];
      const member = members.find((m) => m.email?.toLowerCase() === lower);
      return {
        email,
        team: teamName,
        teamRole: member?.role ?? null,
        permissions: (collaborator?.permissions ?? []).map((p) => p.name).filter((n): n is string => Boolean(n)),
      };
    },
  };
}

/**
 * The account an identity proof's token read, heartbeated before the token is revoked, with a MAC keyed by the
 * token: anyone with namespace access can record heartbeat details for a running activity, but only the worker (who
 * opened the proof) knows the token, so a forged "this proof read bob" does not verify.
 */
interface ProvenAccount {
  id: string;
  email: string;
  mac: string;
}

function accountMac(account: { id: string; email: string }, proof: IdentityProof): string {
  return createHmac('sha256', proof.token)
    .update(`${proof.authorizationId}\n${account.id}\n${account.email}`)
    .digest('hex');
}

function provenAccount(account: { id: string; email: string }, proof: IdentityProof): ProvenAccount {
  return { ...account, mac: accountMac(account, proof) };
}

function provenBefore(details: unknown, proof: IdentityProof): ProvenAccount | undefined {
  const candidate = details as Partial<ProvenAccount> | undefined;
  if (typeof candidate?.id !== 'string' || typeof candidate.email !== 'string' || typeof candidate.mac !== 'string')
    return undefined;
  const expected = Buffer.from(accountMac({ id: candidate.id, email: candidate.email }, proof));
  const given = Buffer.from(candidate.mac);
  return given.length === expected.length && timingSafeEqual(given, expected)
    ? (candidate as ProvenAccount)
    : undefined;
}

/** Heroku's own words in a failure, for a refusal that must not blame the worker's token. */
function herokuSaid(err: unknown): string {
  const details = (err as ApplicationFailure).details?.[0] as { id?: string; message?: string } | undefined;
  const words = [details?.id, details?.message].filter(Boolean).join(': ');
  return words ? `: ${words}` : '';
}

function describeAction({ action, workflowId, subject }: VerifyProofRequest): string {
  switch (action) {
    case 'start':
      return `starting ${subject} as ${workflowId}`;
    case 'approve':
      return `approving plan ${subject} of ${workflowId}`;
    default:
      return `the ${action} of ${workflowId}`;
  }
}
