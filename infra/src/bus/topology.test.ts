import { describe, expect, it } from 'vitest';
import { BusError } from './errors.ts';
import { buildTopology, DEFAULT_RETRY_DELAYS_MS, EXCHANGES, workQueueSpecs } from './topology.ts';

describe('buildTopology', () => {
  const topology = buildTopology({ bots: ['pacs', 'satusehat'], retryDelaysMs: [1000, 10_000] });
  const queue = (name: string) => topology.queues.find((spec) => spec.name === name);

  it('declares the three exchanges of DESIGN.md', () => {
    expect(topology.exchanges).toEqual([
      { name: EXCHANGES.ingest, type: 'topic' },
      { name: EXCHANGES.events, type: 'topic' },
      { name: EXCHANGES.deliveries, type: 'direct' },
    ]);
  });

  it('binds ingest to simpul.ingest with # and each bot queue to simpul.deliveries with its name', () => {
    expect(queue('ingest')?.bindings).toEqual([{ exchange: 'simpul.ingest', routingKey: '#' }]);
    expect(queue('bot.pacs')?.bindings).toEqual([{ exchange: 'simpul.deliveries', routingKey: 'pacs' }]);
    expect(queue('bot.satusehat')?.bindings).toEqual([{ exchange: 'simpul.deliveries', routingKey: 'satusehat' }]);
  });

  it('makes work and dead queues quorum queues, and the work queue dead-letter to .dead', () => {
    expect(queue('bot.pacs')).toMatchObject({
      retryLevels: 2,
      arguments: { 'x-queue-type': 'quorum', 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'bot.pacs.dead', 'x-dead-letter-strategy': 'at-least-once' },
    });
    expect(queue('bot.pacs.dead')?.arguments['x-queue-type']).toBe('quorum');
    expect(queue('bot.pacs.dead')?.arguments).not.toHaveProperty('x-dead-letter-exchange');
  });

  it('gives each retry level its TTL and sends it back to the work queue', () => {
    expect(queue('bot.pacs.retry.1')?.arguments).toMatchObject({ 'x-message-ttl': 1000, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'bot.pacs' });
    expect(queue('bot.pacs.retry.2')?.arguments).toMatchObject({ 'x-message-ttl': 10_000, 'x-dead-letter-routing-key': 'bot.pacs' });
    expect(queue('bot.pacs.retry.3')).toBeUndefined();
    expect(queue('ingest.retry.2')?.arguments['x-message-ttl']).toBe(10_000);
  });

  it('uses the default delays and lets ingest have its own', () => {
    const defaults = buildTopology({ bots: ['ris'] });
    expect(defaults.queues.filter((spec) => spec.name.startsWith('bot.ris.retry.')).map((spec) => spec.arguments['x-message-ttl'])).toEqual([
      ...DEFAULT_RETRY_DELAYS_MS,
    ]);
    const ownIngest = buildTopology({ bots: [], ingestRetryDelaysMs: [] });
    expect(ownIngest.queues.map((spec) => spec.name)).toEqual(['ingest', 'ingest.dead']);
  });

  it.each([
    [{ bots: ['with.dot'] }, /bot name/],
    [{ bots: ['with space'] }, /bot name/],
    [{ bots: [''] }, /bot name/],
    [{ bots: ['x'.repeat(101)] }, /bot name/],
    [{ bots: ['pacs', 'pacs'] }, /twice/],
    [{ bots: 'pacs' as never }, /list/],
    [{ bots: [], retryDelaysMs: [0] }, /retry delay/],
    [{ bots: [], retryDelaysMs: [1.5] }, /retry delay/],
    [{ bots: [], retryDelaysMs: [2 ** 40] }, /retry delay/],
    [{ bots: [], retryDelaysMs: Array.from({ length: 21 }, () => 10) }, /at most 20/],
    [{ bots: [], deliveryLimit: 0 }, /deliveryLimit/],
  ])('refuses %j', (options, message) => {
    expect(() => buildTopology(options)).toThrow(BusError);
    expect(() => buildTopology(options)).toThrow(message);
  });

  it('refuses work queue names that are reserved or too long for their suffixes', () => {
    expect(() => workQueueSpecs('amq.x', { retryDelaysMs: [] })).toThrow(/reserved/);
    expect(() => workQueueSpecs('q'.repeat(250), { retryDelaysMs: [] })).toThrow(/bytes/);
  });
});
