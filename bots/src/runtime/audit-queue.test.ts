import type { AuditEvent, Bundle } from '@medplum/fhirtypes';
import { newEnvelope, PermanentError, type Envelope } from '@simpul/infra';
import { describe, expect, test } from 'vitest';
import { AUDIT_QUEUE, AuditPublisher, auditQueueHandler } from './audit-queue.ts';

const event = (n: number): AuditEvent => ({ resourceType: 'AuditEvent', recorded: `2025-01-01T00:00:0${n}Z` } as AuditEvent);
const delivery = { queue: AUDIT_QUEUE, attempt: 1, maxAttempts: 20, redelivered: false, headers: {} };

describe('AuditPublisher', () => {
  test('attempts recorded together share one confirmed message; each AuditEvent gets its own id', async () => {
    const published: Envelope[] = [];
    const publisher = new AuditPublisher({ publish: async (_exchange, _key, envelope) => void published.push(envelope) }, { maxDelayMs: 20 });
    await Promise.all([publisher.record(event(1)), publisher.record(event(2)), publisher.record(event(3))]);
    expect(published).toHaveLength(1);
    const ids = ((published[0].body as Bundle).entry ?? []).map((entry) => entry.resource?.id);
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(3);
  });

  test('a publish the broker refuses fails every attempt in it (they are retried, not acknowledged)', async () => {
    const publisher = new AuditPublisher({ publish: async () => Promise.reject(new Error('PUBLISH_NACKED')) });
    const results = await Promise.allSettled([publisher.record(event(1)), publisher.record(event(2))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});

describe('auditQueueHandler', () => {
  const stored: string[] = [];
  const handler = auditQueueHandler({ store: async (e) => void stored.push(e.id) });
  const message = (body: unknown) => newEnvelope({ kind: 'event', source: 'test', contentType: 'application/fhir+json', body });

  test('stores every AuditEvent of the Bundle', async () => {
    await handler(message({ resourceType: 'Bundle', type: 'collection', entry: [{ resource: { ...event(1), id: 'a-1' } }, { resource: { ...event(2), id: 'a-2' } }] }), delivery);
    expect(stored).toEqual(['a-1', 'a-2']);
  });

  test.each([
    ['not a Bundle', { resourceType: 'AuditEvent', id: 'x' }],
    ['an empty Bundle', { resourceType: 'Bundle', entry: [] }],
    ['another resource type', { resourceType: 'Bundle', entry: [{ resource: { resourceType: 'Patient', id: 'p' } }] }],
    ['an AuditEvent without an id', { resourceType: 'Bundle', entry: [{ resource: event(1) }] }],
    ['an id that is not a FHIR id', { resourceType: 'Bundle', entry: [{ resource: { ...event(1), id: '../x' } }] }],
    ['a null entry', { resourceType: 'Bundle', entry: [null] }],
  ])('dead-letters %s at once', async (_label, body) => {
    await expect(handler(message(body), delivery)).rejects.toThrow(PermanentError);
  });
});
