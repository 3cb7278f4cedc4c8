import { describe, expect, test } from 'vitest';
import { toUtcDateTime } from './utc-date-time.ts';

describe('toUtcDateTime', () => {
  test('converts zoned dateTimes to UTC written +00:00', () => {
    expect(toUtcDateTime('2025-09-09T14:17:30+07:00')).toBe('2025-09-09T07:17:30+00:00');
    expect(toUtcDateTime('2025-09-09T02:05:00Z')).toBe('2025-09-09T02:05:00+00:00');
    expect(toUtcDateTime('2025-01-01T03:00:00.123+07:00')).toBe('2024-12-31T20:00:00+00:00');
    expect(toUtcDateTime('2025-09-09T14:17+07:00')).toBe('2025-09-09T07:17:00+00:00');
  });

  test('keeps dates without a time as they are', () => {
    expect(toUtcDateTime('2025-09-09')).toBe('2025-09-09');
    expect(toUtcDateTime('2025')).toBe('2025');
  });

  test('gives undefined for a time without a zone or text that is no date', () => {
    expect(toUtcDateTime('2025-09-09T14:17:30')).toBeUndefined();
    expect(toUtcDateTime('yesterday')).toBeUndefined();
    expect(toUtcDateTime('2025-13-45T99:00:00Z')).toBeUndefined();
    expect(toUtcDateTime(undefined)).toBeUndefined();
  });
});
