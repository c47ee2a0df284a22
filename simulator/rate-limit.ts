import type { Request, RequestHandler } from 'express';
import type { Clock } from './clock';
import { ApiError } from './errors';

export interface RateLimitSettings {
  capacity: number;
  refillPerMinute: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitSettings = { capacity: 4500, refillPerMinute: 75 };

interface Bucket {
  level: number;
  updatedAt: number;
}

/**
 * Per-token buckets refilled continuously (Heroku uses GCRA; a continuous
 * bucket gives the same observable numbers). Unknown tokens get their own
 * bucket too, so every response can carry RateLimit-Remaining.
 */
export class RateLimiter {
  private buckets = new Map<string, Bucket>();
  private settings: RateLimitSettings;

  constructor(
    private readonly initial: RateLimitSettings,
    private readonly clock: Clock,
  ) {
    this.settings = { ...initial };
  }

  /** Takes one token if available; returns whether it did and what is left. */
  take(key: string): { allowed: boolean; remaining: number } {
    const bucket = this.refilled(key);
    const allowed = bucket.level >= 1;
    if (allowed) bucket.level -= 1;
    return { allowed, remaining: Math.floor(bucket.level) };
  }

  remaining(key: string): number {
    return Math.floor(this.refilled(key).level);
  }

  /** Control-API hook: change the settings and/or force the level of the given buckets. */
  configure(change: Partial<RateLimitSettings> & { remaining?: number }, keys: Iterable<string>): void {
    for (const key of keys) this.refilled(key);
    this.settings = {
      capacity: change.capacity ?? this.settings.capacity,
      refillPerMinute: change.refillPerMinute ?? this.settings.refillPerMinute,
    };
    for (const key of keys) {
      const bucket = this.refilled(key);
      bucket.level = Math.min(change.remaining ?? bucket.level, this.settings.capacity);
    }
  }

  keys(): string[] {
    return [...this.buckets.keys()];
  }

  current(): RateLimitSettings {
    return { ...this.settings };
  }

  reset(): void {
    this.buckets.clear();
    this.settings = { ...this.initial };
  }

  private refilled(key: string): Bucket {
    const now = this.clock.now().getTime();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = { level: this.settings.capacity, updatedAt: now };
      this.buckets.set(key, bucket);
    }
    const elapsedMinutes = Math.max(0, now - bucket.updatedAt) / 60_000;
    bucket.level = Math.min(this.settings.capacity, bucket.level + elapsedMinutes * this.settings.refillPerMinute);
    bucket.updatedAt = now;
    return bucket;
  }
}

const rateLimited = new ApiError(
  429,
  'rate_limit',
  'Your account reached the API rate limit\nPlease wait a few minutes before making new requests',
  { url: 'https://devcenter.heroku.com/articles/platform-api-reference#rate-limits' },
);

/**
 * Charges one token per request against the presented token's bucket and
 * reports the balance in RateLimit-Remaining. `GET /account/rate-limits` is
 * free, as on Heroku. Runs before authentication so that 401s carry the
 * header too.
 */
export function rateLimit(limiter: RateLimiter, tokenOf: (req: Request) => string | undefined): RequestHandler {
  return (req, res, next) => {
    const key = tokenOf(req) ?? '';
    if (req.method === 'GET' && req.path === '/account/rate-limits') {
      res.setHeader('RateLimit-Remaining', String(limiter.remaining(key)));
      next();
      return;
    }
    const { allowed, remaining } = limiter.take(key);
    res.setHeader('RateLimit-Remaining', String(remaining));
    next(allowed ? undefined : rateLimited);
  };
}
