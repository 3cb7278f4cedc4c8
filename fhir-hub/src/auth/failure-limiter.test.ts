import { describe, expect, test } from 'vitest';
import { FailureLimiter } from './failure-limiter.ts';

describe('FailureLimiter', () => {
  test('allows a burst of failures, then refuses until a token refills', () => {
    const limiter = new FailureLimiter({ burst: 3, refillSeconds: 10 });
    const t0 = 1_000_000;
    for (let i = 0; i < 3; i += 1) {
      expect(limiter.retryAfter(['ip:a'], t0)).toBe(0);
      limiter.fail(['ip:a'], t0);
    }
    expect(limiter.retryAfter(['ip:a'], t0)).toBe(10);
    expect(limiter.retryAfter(['ip:a'], t0 + 4_000)).toBe(6);
    expect(limiter.retryAfter(['ip:a'], t0 + 10_000)).toBe(0);
    expect(limiter.retryAfter(['ip:b'], t0)).toBe(0);
  });

  test('any exhausted key refuses the attempt', () => {
    const limiter = new FailureLimiter({ burst: 1, refillSeconds: 30 });
    limiter.fail(['user:ana'], 0);
    expect(limiter.retryAfter(['ip:fresh', 'user:ana'], 0)).toBe(30);
  });

  test('random keys cannot grow memory past the cap', () => {
    const limiter = new FailureLimiter({ burst: 5, refillSeconds: 60, maxKeys: 100 });
    for (let i = 0; i < 10_000; i += 1) limiter.fail([`user:${i}`], 0);
    expect((limiter as unknown as { buckets: Map<string, unknown> }).buckets.size).toBeLessThanOrEqual(100);
  });
});
