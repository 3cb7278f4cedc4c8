/**
 * Brute-force brake for the sign-in page and the token endpoint: a token bucket per key (`ip:...`,
 * `client:...`, `user:...`) that only failed attempts spend. A burst of failures is allowed, then one
 * more every `refillSeconds`; while a key's bucket is empty every attempt for it is refused with 429
 * and Retry-After, the right password included, so guessing gets no faster by being lucky.
 * In-process: each replica keeps its own buckets (an attacker spread over N replicas gets N times the
 * budget) until the shared bus/Redis lands; the key count is capped so random keys cannot grow memory.
 */
export interface FailureLimiterOptions {
  burst: number;
  refillSeconds: number;
  maxKeys?: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export class FailureLimiter {
  private readonly burst: number;
  private readonly refillMs: number;
  private readonly maxKeys: number;
  private readonly buckets = new Map<string, Bucket>();

  constructor(options: FailureLimiterOptions) {
    this.burst = Math.max(1, options.burst);
    this.refillMs = Math.max(1, options.refillSeconds) * 1000;
    this.maxKeys = options.maxKeys ?? 100_000;
  }

  /** Seconds to wait before any of these keys may try again; 0 when all may try now. */
  retryAfter(keys: string[], now = Date.now()): number {
    let wait = 0;
    for (const key of keys) {
      const tokens = this.tokens(key, now);
      if (tokens < 1) wait = Math.max(wait, Math.ceil(((1 - tokens) * this.refillMs) / 1000));
    }
    return wait;
  }

  /** One failed attempt for each key. */
  fail(keys: string[], now = Date.now()): void {
    for (const key of keys) {
      const tokens = this.tokens(key, now);
      this.buckets.delete(key);
      this.buckets.set(key, { tokens: Math.max(0, tokens - 1), updatedAt: now });
    }
    if (this.buckets.size > this.maxKeys) this.prune(now);
  }

  private tokens(key: string, now: number): number {
    const bucket = this.buckets.get(key);
    if (!bucket) return this.burst;
    return Math.min(this.burst, bucket.tokens + (now - bucket.updatedAt) / this.refillMs);
  }

  /** Drops buckets that have refilled (same as absent), then the oldest if still over the cap. */
  private prune(now: number): void {
    for (const key of this.buckets.keys()) {
      if (this.tokens(key, now) >= this.burst) this.buckets.delete(key);
    }
    for (const key of this.buckets.keys()) {
      if (this.buckets.size <= this.maxKeys) break;
      this.buckets.delete(key);
    }
  }
}
