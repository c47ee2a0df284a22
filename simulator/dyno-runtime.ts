import type { RequestHandler } from 'express';
import type { Clock } from './clock';
import { DynoOutcomes, parseCommand } from './domain/dyno-outcomes';
import { type Termination, timeline } from './domain/one-off-timeline';
import type { EffectsRecorder } from './effects';
import type { OneOffDynoRecord } from './state-dynos';
import type { Store } from './store';

/** Where attached clients reach the rendezvous server, and the certificate they must trust. */
export interface RendezvousEndpoint {
  port: number;
  certPath: string;
  pem: string;
}

/** Finished one-offs kept per app so their logs stay readable (the oldest go first). */
const KEPT_FINISHED_ONE_OFFS = 50;

/**
 * The dyno manager's moving parts: the command-outcome table, the rendezvous endpoint, change notifications for
 * open log streams and rendezvous sessions, and noticing one-off exits. Like add-on provisioning and transfers, exits
 * are computed from timestamps and written down lazily: before every request (control reads included) and whenever a
 * log stream or rendezvous session looks, so the API, the logs and the effects log always agree.
 */
export class DynoRuntime {
  readonly outcomes = new DynoOutcomes();
  rendezvous?: RendezvousEndpoint;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly effects: EffectsRecorder,
  ) {}

  attachUrl(hostname: string, secret: string): string {
    if (!this.rendezvous) throw new Error('the rendezvous server is not running');
    return `rendezvous://${hostname}:${this.rendezvous.port}/${secret}`;
  }

  /** Calls `listener` after every dyno change; returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Saves, settles and wakes everyone watching: call after every dyno change. */
  changed(): void {
    this.store.save();
    this.settle();
    for (const listener of [...this.listeners]) listener();
  }

  /** Records `dyno-exit` for every one-off that has ended by now, in the order they ended; drops old finished ones. */
  settle(): void {
    const now = this.clock.now().getTime();
    const ended: Array<{ app: string; record: OneOffDynoRecord; end: Termination }> = [];
    for (const app of this.store.state.apps) {
      for (const record of app.dynos.one_offs) {
        if (record.exit_recorded) continue;
        const { end } = timeline(record);
        if (end.at <= now) ended.push({ app: app.name, record, end });
      }
    }
    ended.sort((a, b) => a.end.at - b.end.at);
    for (const { app, record, end } of ended) {
      record.exit_recorded = true;
      const { echoesExitStatus } = parseCommand(record.command);
      // Whoever's request happens to notice the exit, it is the consequence of the dyno's creation.
      this.effects.as(this.effects.startedBy('dyno-create', { id: record.id }), () =>
        this.effects.record('dyno-exit', app, {
          name: record.name,
          id: record.id,
          status: end.status,
          reason: end.reason,
          at: new Date(end.at).toISOString(),
          ...(echoesExitStatus && end.reason === 'exit' ? { commandStatus: record.outcome.exit_status } : {}),
        }),
      );
    }
    if (ended.length > 0) {
      this.prune();
      this.store.save();
    }
  }

  settleBeforeRequests(): RequestHandler {
    return (_req, _res, next) => {
      this.settle();
      next();
    };
  }

  /** Restores the default outcomes; open sessions notice that their dynos are gone. */
  reset(): void {
    this.outcomes.reset();
    for (const listener of [...this.listeners]) listener();
  }

  private prune(): void {
    for (const app of this.store.state.apps) {
      const finished = app.dynos.one_offs.filter((record) => record.exit_recorded);
      const dropped = new Set(finished.slice(0, Math.max(0, finished.length - KEPT_FINISHED_ONE_OFFS)));
      if (dropped.size > 0) app.dynos.one_offs = app.dynos.one_offs.filter((record) => !dropped.has(record));
    }
  }
}
