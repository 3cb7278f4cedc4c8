import { Counter } from 'prom-client';
import { describe, expect, test } from 'vitest';
import { createMetricsRegistry } from './metrics-registry.ts';

describe('createMetricsRegistry', () => {
  test('each registry is independent and carries the default labels', async () => {
    const a = createMetricsRegistry({ part: 'hub' });
    const b = createMetricsRegistry({ part: 'bots' });
    const counter = new Counter({ name: 'simpul_test_total', help: 'test', registers: [a] });
    counter.inc(3);
    const text = await a.metrics();
    expect(text).toMatch(/simpul_test_total\{part="hub"\} 3/);
    expect(text).toContain('simpul_process_cpu_user_seconds_total');
    expect(await b.metrics()).not.toContain('simpul_test_total');
  });
});
