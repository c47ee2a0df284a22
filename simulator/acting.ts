import { AsyncLocalStorage } from 'node:async_hooks';

/** The account a change is made by, as releases (`user`) and effects (`actor`) name it. */
export interface Actor {
  id: string;
  email: string;
  /** The request being served, when the change is made by one (not by time): its Request-Id. */
  requestId?: string;
}

/**
 * Who is acting right now. Authentication enters the authenticated account for the rest of the request, so that
 * every change a handler makes, however deep in the domain code, is attributed to it without passing the account
 * through every call. Changes that happen with time (a one-off exiting, a restore finishing) run outside any
 * request's account; they are attributed to whoever started them (`as`).
 */
export class Acting {
  private readonly storage = new AsyncLocalStorage<Actor>();

  as<T>(actor: Actor, work: () => T): T {
    return this.storage.run(actor, work);
  }

  current(): Actor | undefined {
    return this.storage.getStore();
  }
}
