import { describe, expect, it } from 'vitest';
import {
  ATTEMPTS_HEADER,
  DEAD_AT_HEADER,
  DEAD_REASON_HEADER,
  LAST_ERROR_HEADER,
  ORIGIN_QUEUE_HEADER,
  REPLAYS_HEADER,
  attemptsMade,
  deadHeaders,
  readDeadLetterFacts,
  replayHeaders,
  retryHeaders,
} from './delivery-headers.ts';

describe('attemptsMade', () => {
  it.each([
    [undefined, 0],
    [{}, 0],
    [{ [ATTEMPTS_HEADER]: 2 }, 2],
    [{ [ATTEMPTS_HEADER]: '4' }, 4],
    [{ [ATTEMPTS_HEADER]: -3 }, 0],
    [{ [ATTEMPTS_HEADER]: 1.5 }, 0],
    [{ [ATTEMPTS_HEADER]: 'many' }, 0],
    [{ [ATTEMPTS_HEADER]: '' }, 0],
    [{ [ATTEMPTS_HEADER]: 1e300 }, 0],
    [{ [ATTEMPTS_HEADER]: { nested: 1 } }, 0],
  ])('reads %j as %i', (headers, expected) => {
    expect(attemptsMade(headers)).toBe(expected);
  });
});

describe('headers written when moving a message', () => {
  const fromBroker = {
    app: 'kept',
    'x-death': [{ queue: 'bot.pacs.retry.1', reason: 'expired', count: 1 }],
    'x-delivery-count': 2,
    'x-first-death-queue': 'bot.pacs.retry.1',
    [ATTEMPTS_HEADER]: 1,
    [LAST_ERROR_HEADER]: 'old',
  };

  it('retry headers carry the attempts and last error and drop stale broker bookkeeping', () => {
    expect(retryHeaders(fromBroker, 2, 'timeout')).toEqual({ app: 'kept', [ATTEMPTS_HEADER]: 2, [LAST_ERROR_HEADER]: 'timeout' });
  });

  it('dead headers say why, when, where from and after how many attempts', () => {
    const at = new Date('2024-05-06T07:08:09.000Z');
    const headers = deadHeaders(fromBroker, { queue: 'bot.pacs', attempts: 3, reason: 'exhausted', lastError: 'C-STORE failed', at });
    expect(headers).toEqual({
      app: 'kept',
      [REPLAYS_HEADER]: 0,
      [ATTEMPTS_HEADER]: 3,
      [LAST_ERROR_HEADER]: 'C-STORE failed',
      [DEAD_REASON_HEADER]: 'exhausted',
      [DEAD_AT_HEADER]: '2024-05-06T07:08:09.000Z',
      [ORIGIN_QUEUE_HEADER]: 'bot.pacs',
    });
    expect(readDeadLetterFacts(headers, 'ignored')).toEqual({ queue: 'bot.pacs', attempts: 3, reason: 'exhausted', lastError: 'C-STORE failed', at, replays: 0 });
  });

  it('replay headers reset the attempts and count the replay', () => {
    const dead = deadHeaders({ [REPLAYS_HEADER]: 1 }, { queue: 'ingest', attempts: 5, reason: 'permanent', lastError: 'x', at: new Date() });
    expect(replayHeaders(dead)).toEqual({ [REPLAYS_HEADER]: 2 });
    expect(attemptsMade(replayHeaders(dead))).toBe(0);
  });

  it('reads a message the broker dead-lettered itself from x-death', () => {
    const facts = readDeadLetterFacts(
      { 'x-death': [{ queue: 'bot.ris', reason: 'delivery_limit', time: 1_700_000_000, count: 1 }], 'x-delivery-count': 21 },
      'fallback',
    );
    expect(facts).toMatchObject({ queue: 'bot.ris', reason: 'broker', attempts: 21, lastError: 'dead-lettered by the broker: delivery_limit' });
    expect(facts.at.toISOString()).toBe('2023-11-14T22:13:20.000Z');
  });

  it('survives hostile dead-letter headers', () => {
    const facts = readDeadLetterFacts({ [DEAD_REASON_HEADER]: 'because', [DEAD_AT_HEADER]: 'not a date', 'x-death': 'junk' }, 'bot.x');
    expect(facts).toMatchObject({ queue: 'bot.x', reason: 'permanent', attempts: 0 });
    expect(facts.at.getTime()).toBe(0);
    expect(readDeadLetterFacts({ 'x-death': [null] }, 'q').queue).toBe('q');
  });
});
