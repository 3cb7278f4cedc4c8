import { describe, expect, test } from 'vitest';
import { retryJitterMs } from './retry-jitter.ts';

describe('retryJitterMs', () => {
  const delays = [1_000, 10_000, 60_000];
  test('no wait before the first attempt', () => {
    expect(retryJitterMs(1, delays, () => 0.99)).toBe(0);
  });
  test('up to 20 % of the delay the message just waited, at most 2 s', () => {
    expect(retryJitterMs(2, delays, () => 0.999)).toBe(199);
    expect(retryJitterMs(3, delays, () => 0.999)).toBe(1998);
    expect(retryJitterMs(9, delays, () => 0.999)).toBe(1998);
    expect(retryJitterMs(2, delays, () => 0)).toBe(0);
  });
  test('spreads: different draws give different waits', () => {
    const waits = new Set(Array.from({ length: 50 }, () => retryJitterMs(2, delays)));
    expect(waits.size).toBeGreaterThan(10);
  });
});
