import { describe, expect, it } from 'vitest';
import { PermanentError, RetryableError } from './errors.ts';
import { routeFailure } from './failure-route.ts';

const plan = { retryLevels: 3, hasDeadQueue: true, maxAttempts: 4 };

describe('routeFailure', () => {
  it('sends attempt n to retry level n', () => {
    expect(routeFailure('bot.pacs', plan, 1, new RetryableError('x'))).toEqual({ action: 'retry', queue: 'bot.pacs.retry.1' });
    expect(routeFailure('bot.pacs', plan, 3, new Error('x'))).toEqual({ action: 'retry', queue: 'bot.pacs.retry.3' });
  });

  it('dead-letters once the attempts are used up', () => {
    expect(routeFailure('bot.pacs', plan, 4, new Error('x'))).toEqual({ action: 'dead', queue: 'bot.pacs.dead', reason: 'exhausted' });
  });

  it('reuses the last level when more attempts than levels are allowed', () => {
    expect(routeFailure('q', { ...plan, maxAttempts: 10 }, 7, new Error('x'))).toEqual({ action: 'retry', queue: 'q.retry.3' });
  });

  it('dead-letters permanent errors and malformed messages at once', () => {
    expect(routeFailure('q', plan, 1, new PermanentError('bad'))).toEqual({ action: 'dead', queue: 'q.dead', reason: 'permanent' });
    expect(routeFailure('q', plan, 1, new Error('x'), true)).toEqual({ action: 'dead', queue: 'q.dead', reason: 'malformed' });
  });

  it('retries in the work queue itself when it has no retry queues', () => {
    expect(routeFailure('q', { retryLevels: 0, hasDeadQueue: true, maxAttempts: 2 }, 1, new Error('x'))).toEqual({ action: 'retry', queue: 'q' });
  });

  it('requeues rather than drops when there is no dead-letter queue', () => {
    const noDead = { retryLevels: 0, hasDeadQueue: false, maxAttempts: 1 };
    expect(routeFailure('q', noDead, 1, new Error('x'))).toEqual({ action: 'requeue' });
    expect(routeFailure('q', noDead, 1, new PermanentError('x'))).toEqual({ action: 'requeue' });
  });
});
