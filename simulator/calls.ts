import type { RequestHandler } from 'express';
import { type Clock, herokuTime } from './clock';

export interface CallRecord {
  seq: number;
  /** When it arrived, as Heroku renders times (whole seconds). */
  time: string;
  /**
   * The same to the millisecond (ISO 8601): what a benchmark needs to measure how soon a client noticed that a
   * transfer or a dyno ended (scripts/bench/long-wait-figures.ts); Heroku's whole seconds are too coarse for that.
   */
  receivedAt: string;
  method: string;
  path: string;
  query: unknown;
  body: unknown;
  /** null until the response has been sent (or if the client went away first). */
  status: number | null;
  requestId: string;
  /**
   * Which runbook activity sent it (the engine's `Runbook-Activity` header: workflow ID, run ID, activity ID and
   * type), else null. Heroku ignores headers it does not know; the simulator keeps this one so that every change
   * can be traced to the activity that asked for it.
   */
  sender: string | null;
}

/** Every API request in arrival order; kept in memory only, it describes this process's traffic. */
export class CallLog {
  private calls: CallRecord[] = [];
  private nextSeq = 1;

  constructor(private readonly clock: Clock) {}

  middleware(): RequestHandler {
    return (req, res, next) => {
      const now = this.clock.now();
      const call: CallRecord = {
        seq: this.nextSeq++,
        time: herokuTime(now),
        receivedAt: now.toISOString(),
        method: req.method,
        path: req.path,
        query: req.query,
        body: null,
        status: null,
        requestId: String(res.locals.requestId),
        sender: typeof req.headers['runbook-activity'] === 'string' ? req.headers['runbook-activity'] : null,
      };
      this.calls.push(call);
      // The body is parsed further down the chain, so read it once the response is done.
      // heroku-client sends `Content-length: 0` on GETs, which the JSON parser turns into {}.
      const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
      res.once('close', () => {
        call.body = hasBody ? (req.body ?? null) : null;
        if (res.headersSent) call.status = res.statusCode;
      });
      next();
    };
  }

  list(): readonly CallRecord[] {
    return this.calls;
  }

  clear(): void {
    this.calls = [];
    this.nextSeq = 1;
  }
}
