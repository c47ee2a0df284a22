import { AsyncLocalStorage } from 'node:async_hooks';

/** The account a change is made by, as releases (`user`) and effects (`actor`) name it. */
export interface Actor {
  id: string;
  email: string;
}

/**
 * Who is acting right now, and for which request. Authentication enters the authenticated account for the rest of
 * the request, so that every change a handler makes, however deep in the domain code, is attributed to it without
 * passing the account through every call. Changes that happen with time (a one-off exiting, a restore finishing)
 * run outside any request's account; they are attributed to whoever started them (`as`), and to no request.
 */
export class Acting {
  private readonly storage = new AsyncLocalStorage<{ actor: Actor; requestId?: string }>();

  /** `requestId`: the request being served (its Request-Id), when `work` serves one. */
  as<T>(actor: Actor, work: () => T, requestId?: string): T {
    return this.storage.run({ actor, ...(requestId && { requestId }) }, work);
  }

  current(): Actor | undefined {
    return this.storage.getStore()?.actor;
  }

  /** The Request-Id of the request being served, if any. */
  requestId(): string | undefined {
    return this.storage.getStore()?.requestId;
  }
}
