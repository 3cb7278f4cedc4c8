import { newEnvelope, PermanentError } from '@simpul/infra';
import { describe, expect, test } from 'vitest';
import { readDelivery, resourceReference } from './delivery-body.ts';

const good = { subscription: 'Subscription/abc-1', interaction: 'create', versionId: '2', resource: { resourceType: 'Patient', id: 'p1' } };
const envelope = (body: unknown, kind: 'delivery' | 'event' = 'delivery', headers?: Record<string, string>) =>
  newEnvelope({ kind, source: 'test', contentType: 'application/fhir+json', body, headers });

describe('readDelivery', () => {
  test('reads a delivery the hub wrote', () => {
    expect(readDelivery(envelope(good))).toEqual(good);
    const { resource: _none, ...empty } = good;
    expect(readDelivery(envelope(empty))).toEqual(empty);
  });

  test.each([
    ['another kind of message', envelope(good, 'event')],
    ['a body that is not an object', envelope('text')],
    ['an array body', envelope([good])],
    ['a subscription that is not a Subscription reference', envelope({ ...good, subscription: 'Patient/1' })],
    ['a path-traversing subscription id', envelope({ ...good, subscription: 'Subscription/../../admin' })],
    ['an unknown interaction', envelope({ ...good, interaction: 'read' })],
    ['a missing versionId', envelope({ ...good, versionId: 2 })],
    ['a resource without a type', envelope({ ...good, resource: { id: 'x' } })],
    ['a resource with a bad id', envelope({ ...good, resource: { resourceType: 'Patient', id: 'a/b' } })],
  ])('refuses %s as permanent', (_label, message) => {
    expect(() => readDelivery(message)).toThrow(PermanentError);
    expect(() => readDelivery(message)).toThrow(/SIMPUL-BOTS-101/);
  });
});

describe('resourceReference', () => {
  test('from the resource, else from the hub header, never from junk', () => {
    expect(resourceReference(envelope(good), readDelivery(envelope(good)))).toBe('Patient/p1');
    const { resource: _none, ...empty } = good;
    expect(resourceReference(envelope(empty, 'delivery', { resource: 'Patient/p9' }), empty as never)).toBe('Patient/p9');
    expect(resourceReference(envelope(empty, 'delivery', { resource: 'javascript:x' }), empty as never)).toBeUndefined();
  });
});
