import { Acting, type Actor } from './acting';
import { type Clock, herokuTime } from './clock';
import type { Effect } from './state';
import type { Store } from './store';

/**
 * Records side effects the simulated platform actually applied (a release
 * created, maintenance toggled, a process type rescaled …), as opposed to the
 * requests that asked for them. Tests and benchmarks assert on this log.
 * Effects live in the state so they persist and reset together with it.
 * Each names its `actor`: the account whose token asked for the change, and — when a request made it, not time —
 * that request's `requestId` (the Request-Id it was answered with), which ties the effect to the call that asked for
 * it (`calls`) and to whoever recorded that Request-Id (a runbook's audit trail does).
 */
export class EffectsRecorder {
  private readonly acting = new Acting();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  record(kind: string, app: string, detail: Record<string, unknown> = {}): Effect {
    const effects = this.store.state.effects;
    const seq = (effects.at(-1)?.seq ?? 0) + 1;
    const time = herokuTime(this.clock.now());
    const requestId = this.acting.requestId();
    const effect: Effect = {
      seq,
      time,
      kind,
      app,
      actor: this.actor().email,
      ...(requestId && { requestId }),
      ...detail,
    };
    effects.push(effect);
    return effect;
  }

  /**
   * Who is acting: the authenticated account of the request being served. Outside one (nothing should change
   * there without `as`), the service account, which is what the simulator attributed everything to before it
   * knew people.
   */
  actor(): Actor {
    const current = this.acting.current();
    if (current) return current;
    const { id, email } = this.store.state.account;
    return { id, email };
  }

  /**
   * The actor of the newest `kind` effect whose fields include `match` (e.g. the `dyno-create` of a dyno id): the
   * one to attribute a later, time-driven consequence to. The service account if there is none (a state document
   * that arrived without its effects).
   */
  startedBy(kind: string, match: Record<string, unknown>): Actor {
    const state = this.store.state;
    const matches = (effect: Effect) =>
      effect.kind === kind && Object.entries(match).every(([key, value]) => effect[key] === value);
    const cause = [...state.effects].reverse().find(matches);
    const account = [state.account, ...state.people].find((candidate) => candidate.email === cause?.actor);
    return account ? { id: account.id, email: account.email } : { id: state.account.id, email: state.account.email };
  }

  /**
   * Runs `work` (and everything it continues into, asynchronously too) as `actor`: what it records is theirs, and
   * the request's `requestId` when `work` serves one (else what it records names no request).
   */
  as<T>(actor: Actor, work: () => T, requestId?: string): T {
    return this.acting.as(actor, work, requestId);
  }

  list(): readonly Effect[] {
    return this.store.state.effects;
  }
}
