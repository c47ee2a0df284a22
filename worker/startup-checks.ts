import { ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { NativeConnection } from '@temporalio/worker';
import type { HerokuConnection } from '../activities/heroku/connection';
import type { HerokuRequestError } from '../activities/heroku/failures';
import { PlatformApi } from '../activities/heroku/platform-api';
import { FailureTypes } from '../common/errors';
import { ALL_SEARCH_ATTRIBUTES } from '../common/search-attributes';

// What the worker checks before it polls, so that a set-up that cannot work never says "worker ready": a worker
// with a wrong token would fail every runbook at its first step, and one on a namespace without our search
// attributes would fail the first workflow task of every run and retry it forever (a run stuck "running").

/** The set-up is wrong: the worker does not start. The message says what to fix and never holds a secret. */
export class StartupCheckError extends Error {}

export interface HerokuAccountCheck {
  /** The token's account, for the "worker ready" line; null when Heroku could not say (see `warning`). */
  email: string | null;
  /** Heroku answered, but not well enough to tell (5xx, rate limit): the worker starts all the same. */
  warning?: string;
}

const TOKEN_HELP =
  'Create a token with `heroku authorizations:create --description heroku-runbooks` and start the worker with ' +
  'HEROKU_API_KEY set to it.';

/** `GET /account` with HEROKU_API_KEY: a refused token, or a Heroku API that cannot be reached, stops the start. */
export async function checkHerokuAccount(heroku: HerokuConnection, timeoutMs = 30_000): Promise<HerokuAccountCheck> {
  const where = `the Heroku API at ${heroku.apiUrl} (HEROKU_API_URL)`;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new StartupCheckError(
            `${where} did not answer GET /account within ${Math.round(timeoutMs / 1000)} s: check HEROKU_API_URL ` +
              '(unset, it is https://api.heroku.com) and the network. The worker did not start.',
          ),
        ),
      timeoutMs,
    );
  });
  try {
    const account = await Promise.race([new PlatformApi(heroku).account(), timeout]);
    return { email: account.email ?? null };
  } catch (err) {
    if (err instanceof StartupCheckError) throw err;
    if (!(err instanceof ApplicationFailure)) throw err;
    const request = (err.details?.[0] ?? {}) as Partial<HerokuRequestError>;
    const answered = `GET /account at ${heroku.apiUrl} answered ${request.status}${request.id ? ` (${request.id})` : ''}`;
    switch (err.type) {
      case FailureTypes.HerokuUnauthorized:
        throw new StartupCheckError(
          `Heroku rejected HEROKU_API_KEY: ${answered}. The token is wrong, expired or revoked. ${TOKEN_HELP} ` +
            'The worker did not start.',
        );
      case FailureTypes.HerokuForbidden:
        throw new StartupCheckError(
          `Heroku refused HEROKU_API_KEY: ${answered}. The token cannot read its own account (a token with too ` +
            `narrow a scope, or a suspended account). ${TOKEN_HELP} The worker did not start.`,
        );
      case FailureTypes.HerokuUnavailable:
        if (request.status === undefined) {
          throw new StartupCheckError(
            `Cannot reach ${where}: ${request.networkCode ?? 'network error'}. Check HEROKU_API_URL (unset, it is ` +
              'https://api.heroku.com) and the network. The worker did not start.',
          );
        }
        return { email: null, warning: `${answered}: could not check HEROKU_API_KEY; starting all the same` };
      case FailureTypes.HerokuRateLimited:
        return { email: null, warning: `${answered}: could not check HEROKU_API_KEY; starting all the same` };
      default:
        throw new StartupCheckError(
          `${answered}: HEROKU_API_URL does not look like the Heroku Platform API (unset, it is ` +
            'https://api.heroku.com). The worker did not start.',
        );
    }
  } finally {
    clearTimeout(timer);
  }
}

/** The search attributes the runbooks write, each of which must be registered on the namespace as Keyword. */
export interface SearchAttributeCheck {
  /** The server does not let this client list them (Temporal Cloud: its operator API is not open to workers). */
  warning?: string;
}

const KEYWORD = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
const DEFAULT_CLI_ADDRESSES = ['localhost:7233', '127.0.0.1:7233'];

function typeName(type: number): string {
  const name = temporal.api.enums.v1.IndexedValueType[type] ?? String(type);
  const short = name.replace(/^INDEXED_VALUE_TYPE_/, '').toLowerCase();
  return short.replace(/(^|_)([a-z])/g, (_, __: string, letter: string) => letter.toUpperCase());
}

/**
 * Lists the namespace's search attributes; refuses to start when one the runbooks write is missing or is not
 * Keyword, naming each and the command that adds it.
 */
export async function checkSearchAttributes(
  connection: Pick<NativeConnection, 'operatorService'>,
  namespace: string,
  address: string,
): Promise<SearchAttributeCheck> {
  let registered: Record<string, number>;
  try {
    const response = await connection.operatorService.listSearchAttributes({ namespace });
    registered = (response.customAttributes ?? {}) as Record<string, number>;
  } catch (err) {
    const code = (err as { code?: number }).code;
    if (code === 5 /* NOT_FOUND */) {
      throw new StartupCheckError(
        `Temporal at ${address} has no namespace "${namespace}" (TEMPORAL_NAMESPACE): create it, or set ` +
          'TEMPORAL_NAMESPACE to one that exists. The worker did not start.',
      );
    }
    if (code === 7 /* PERMISSION_DENIED */ || code === 16 /* UNAUTHENTICATED */ || code === 12 /* UNIMPLEMENTED */) {
      return {
        warning:
          `could not list the search attributes of namespace "${namespace}" (${(err as Error).message}); make sure ` +
          `${ALL_SEARCH_ATTRIBUTES.map((key) => key.name).join(', ')} are registered as Keyword`,
      };
    }
    throw err;
  }
  const at = DEFAULT_CLI_ADDRESSES.includes(address) ? '' : ` --address ${address}`;
  const problems = ALL_SEARCH_ATTRIBUTES.flatMap(({ name }) => {
    const type = registered[name];
    if (type === KEYWORD) return [];
    const create = `temporal operator search-attribute create --namespace ${namespace} --name ${name} --type Keyword${at}`;
    if (type === undefined) return [`  ${name}: missing. Add it: ${create}`];
    return [
      `  ${name}: registered as ${typeName(type)}, not Keyword. Remove it (if nothing else uses it) and add it again: ` +
        `temporal operator search-attribute remove --namespace ${namespace} --name ${name} --yes${at} && ${create}`,
    ];
  });
  if (problems.length > 0) {
    throw new StartupCheckError(
      [
        `Namespace "${namespace}" at ${address} (TEMPORAL_NAMESPACE) lacks search attributes the runbooks write: ` +
          'every run would fail its first workflow task and retry it forever. The worker did not start.',
        ...problems,
      ].join('\n'),
    );
  }
  return {};
}
