import { afterEach, describe, expect, it, vi } from 'vitest';
import { HealthChecks } from './health-checks.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('HealthChecks', () => {
  it('is ok with no checks', async () => {
    expect(await new HealthChecks().run()).toEqual({ ok: true, checks: {} });
  });

  it('reports each check and is ok only when all are', async () => {
    const health = new HealthChecks();
    health.register('database', async () => {});
    health.register('bus', async () => {
      throw new Error('connection refused');
    });
    const report = await health.run();
    expect(report.ok).toBe(false);
    expect(report.checks.database).toEqual({ ok: true, ms: expect.any(Number) });
    expect(report.checks.bus).toMatchObject({ ok: false, error: 'connection refused' });
  });

  it('catches a check that throws before returning a promise, and non-Error throws', async () => {
    const health = new HealthChecks();
    health.register('sync', (() => {
      throw new Error('boom');
    }) as () => Promise<void>);
    health.register('string', () => Promise.reject('just text'));
    const report = await health.run();
    expect(report.checks.sync).toMatchObject({ ok: false, error: 'boom' });
    expect(report.checks.string).toMatchObject({ ok: false, error: 'just text' });
  });

  it('names every address of an AggregateError with an empty message', async () => {
    const health = new HealthChecks();
    const refused = (address: string) => Object.assign(new Error(`connect ECONNREFUSED ${address}`), { code: 'ECONNREFUSED' });
    health.register('database', () => Promise.reject(new AggregateError([refused('::1:5432'), refused('127.0.0.1:5432')])));
    const report = await health.run();
    expect(report.checks.database.error).toBe('connect ECONNREFUSED ::1:5432; connect ECONNREFUSED 127.0.0.1:5432');
  });

  it('cuts off a hung check at its timeout', async () => {
    const health = new HealthChecks();
    health.register('hung', () => new Promise<void>(() => {}), { timeoutMs: 50 });
    health.register('fine', async () => {});
    const report = await health.run();
    expect(report.ok).toBe(false);
    expect(report.checks.hung).toMatchObject({ ok: false, error: 'timed out after 50 ms' });
    expect(report.checks.hung.ms).toBeGreaterThanOrEqual(45);
    expect(report.checks.fine.ok).toBe(true);
  });

  it('times out after 2000 ms by default', async () => {
    vi.useFakeTimers();
    const health = new HealthChecks();
    health.register('hung', () => new Promise<void>(() => {}));
    const running = health.run();
    await vi.advanceTimersByTimeAsync(1999);
    let settled = false;
    void running.then(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const report = await running;
    expect(report.checks.hung).toMatchObject({ ok: false, error: 'timed out after 2000 ms' });
  });

  it('runs checks in parallel', async () => {
    // "first" only finishes once "second" has started: run one after the other, it would time out.
    let secondStarted!: () => void;
    const started = new Promise<void>((resolve) => {
      secondStarted = resolve;
    });
    const health = new HealthChecks();
    health.register('first', () => started, { timeoutMs: 1000 });
    health.register('second', async () => secondStarted());
    const report = await health.run();
    expect(report.checks.first.ok).toBe(true);
    expect(report.checks.second.ok).toBe(true);
  });

  it('does not report a late failure of a timed-out check as unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const health = new HealthChecks();
      health.register('late', () => new Promise<void>((_, reject) => setTimeout(() => reject(new Error('late')), 30)), { timeoutMs: 10 });
      expect((await health.run()).checks.late.error).toBe('timed out after 10 ms');
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('refuses a duplicate name and a timeout that is not positive', () => {
    const health = new HealthChecks();
    health.register('database', async () => {});
    expect(() => health.register('database', async () => {})).toThrow('already registered');
    expect(() => health.register('bus', async () => {}, { timeoutMs: 0 })).toThrow('positive');
    expect(() => health.register('bus', async () => {}, { timeoutMs: Number.NaN })).toThrow('positive');
    expect(() => health.register('', async () => {})).toThrow('name');
  });
});
