/** The outcome of asking for one request's worth of a key's rate. */
export type KeyRateDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

/** One request costs a minute's worth of milliseconds; refill adds `ratePerMinute` per elapsed ms. */
const COST = 60_000;

interface Bucket {
  /** Saved credit, in units where one request costs COST (integers: no rounding drift). */
  credit: number;
  at: number;
}

/**
 * A token bucket per key: up to `ratePerMinute` requests in a burst, refilled continuously at
 * ratePerMinute per 60 s. The clock (epoch ms) is injected so tests control time.
 */
export class KeyRateLimiter {
  readonly #buckets = new Map<string, Bucket>();

  constructor(private readonly now: () => number) {}

  take(keyId: string, ratePerMinute: number): KeyRateDecision {
    const now = Math.floor(this.now());
    const capacity = ratePerMinute * COST;
    const bucket = this.#buckets.get(keyId) ?? { credit: capacity, at: now };
    // A clock that steps back refills nothing; a lowered rate caps what was saved.
    bucket.credit = Math.min(capacity, bucket.credit + Math.max(0, now - bucket.at) * ratePerMinute);
    bucket.at = now;
    this.#buckets.set(keyId, bucket);
    if (bucket.credit >= COST) {
      bucket.credit -= COST;
      return { ok: true };
    }
    const waitMs = Math.ceil((COST - bucket.credit) / ratePerMinute);
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
  }
}
