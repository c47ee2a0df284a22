import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROOF_LIFETIME_SECONDS, proofSealName, type IdentityProof, type ProofAction } from '../common/identity';
import { herokuApiUrl } from '../lib/heroku-api-url';
import { Sealer } from '../lib/sealing';

/**
 * Proving who runs the CLI: with the person's own Heroku login (HEROKU_API_KEY, else the Heroku CLI's ~/.netrc
 * entry), the CLI creates a short-lived `identity`-scoped OAuth authorization named for the run and the action,
 * and seals its token for the worker (only the worker can open it). The worker reads the account with it and
 * revokes it. The login itself never leaves this process.
 */
export class IdentityError extends Error {}

/** The person's Heroku login: HEROKU_API_KEY, else the password of ~/.netrc's `machine api.heroku.com`. */
export function herokuLogin(env: NodeJS.ProcessEnv = process.env, apiUrl = apiBase(env)): string {
  const fromEnv = env.HEROKU_API_KEY?.trim();
  if (fromEnv) return fromEnv;
  const host = new URL(apiUrl).hostname;
  const netrc = readNetrc(env);
  const token = netrc[host] ?? netrc['api.heroku.com'];
  if (token) return token;
  throw new IdentityError(
    'No Heroku login to prove who you are: set HEROKU_API_KEY to your own Heroku token (`heroku auth:token`), or log in with `heroku login` (it writes ~/.netrc). Runs and approvals are recorded under the Heroku account it proves.',
  );
}

/** `machine <host> … password <token>` entries of ~/.netrc (or $NETRC), by host. */
function readNetrc(env: NodeJS.ProcessEnv): Record<string, string> {
  const file = env.NETRC || path.join(env.HOME || os.homedir(), '.netrc');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return {};
  }
  const tokens = text.split(/\s+/).filter(Boolean);
  const entries: Record<string, string> = {};
  let machine: string | null = null;
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i] === 'machine') machine = tokens[++i] ?? null;
    else if (tokens[i] === 'default') machine = null;
    else if (tokens[i] === 'password' && machine) entries[machine] = tokens[++i] ?? '';
  }
  return entries;
}

/** The API's base, without a trailing slash (the CLI joins paths to it). */
function apiBase(env: NodeJS.ProcessEnv): string {
  return herokuApiUrl(env).replace(/\/$/, '');
}

/** Attempts at creating a proof's authorization before the CLI gives up on Heroku. */
const PROOF_ATTEMPTS = 4;

/** Makes proofs for one person (their login) and one worker (its public key). */
export class IdentityProver {
  constructor(
    private readonly login: string,
    private readonly sealer: Sealer,
    private readonly apiUrl: string,
  ) {}

  static fromEnv(env: NodeJS.ProcessEnv = process.env): IdentityProver {
    const apiUrl = apiBase(env);
    return new IdentityProver(herokuLogin(env, apiUrl), Sealer.fromEnv(env), apiUrl);
  }

  /** A sealed proof for `action` on the run `workflowId` (subject: the runbook started, or the plan hash approved). */
  async prove(
    action: ProofAction,
    workflowId: string,
    subject: string,
  ): Promise<{ proof: string; email: string | null }> {
    const response = await this.createAuthorization(action, workflowId, subject);
    const body = (await response.json().catch(() => ({}))) as {
      id?: string;
      message?: string;
      access_token?: { token?: string; expires_in?: number | null };
      user?: { email?: string };
    };
    if (response.status === 401) {
      throw new IdentityError(
        'Heroku refused your login (HEROKU_API_KEY, else ~/.netrc): log in again (`heroku login`) or set HEROKU_API_KEY to a valid token of your own.',
      );
    }
    if (!response.ok || !body.id || !body.access_token?.token) {
      throw new IdentityError(
        `Heroku did not create the short-lived authorization that proves who you are (${response.status}${body.message ? `: ${body.message}` : ''}).`,
      );
    }
    const proof: IdentityProof = {
      v: 1,
      authorizationId: body.id,
      token: body.access_token.token,
      action,
      workflowId,
      subject,
      issuedAt: new Date().toISOString(),
      expiresInSeconds: body.access_token.expires_in ?? PROOF_LIFETIME_SECONDS,
    };
    const sealed = this.sealer.seal(JSON.stringify(proof), {
      purpose: 'identity-proof',
      workflowId,
      name: proofSealName(action, subject),
    });
    return { proof: sealed, email: body.user?.email ?? null };
  }

  /**
   * POST /oauth/authorizations, tried again (up to four times in about 7 s) when Heroku is briefly unavailable,
   * throttles, or drops the connection: an operator at 3 a.m. should not have to type the command again for that. An
   * attempt whose answer was lost may leave an unused authorization behind; it expires with the proof's lifetime.
   */
  private async createAuthorization(action: ProofAction, workflowId: string, subject: string): Promise<Response> {
    for (let attempt = 1; ; attempt++) {
      const last = attempt === PROOF_ATTEMPTS;
      try {
        const response = await fetch(`${this.apiUrl}/oauth/authorizations`, {
          method: 'POST',
          headers: {
            Accept: 'application/vnd.heroku+json; version=3',
            'Content-Type': 'application/json',
            Authorization: `Bearer ${this.login}`,
          },
          body: JSON.stringify({
            scope: ['identity'],
            expires_in: PROOF_LIFETIME_SECONDS,
            description: `heroku-runbooks: ${action} ${subject} (${workflowId})`.slice(0, 200),
          }),
        }).catch((err: Error) => {
          throw new IdentityError(`Cannot reach Heroku at ${this.apiUrl} to prove who you are: ${err.message}.`);
        });
        if (last || (response.status !== 429 && response.status < 500)) return response;
      } catch (err) {
        if (last || !(err instanceof IdentityError)) throw err;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000 * 2 ** (attempt - 1)));
    }
  }
}
