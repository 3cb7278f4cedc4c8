import { createHmac } from 'node:crypto';
import type { Patient, Subscription } from '@medplum/fhirtypes';
import { PermanentError } from '@simpul/infra';
import { describe, expect, test } from 'vitest';
import type { DeliveryBody } from '../runtime/delivery-body.ts';
import { buildNotification, PAYLOAD_CONTENT_EXTENSION_URL, payloadContent, subscriptionMaxAttempts } from './notification.ts';

const patient: Patient = { resourceType: 'Patient', id: 'p1', meta: { versionId: 'v2', lastUpdated: '2025-01-01T00:00:00.000Z' }, name: [{ family: 'Santoso' }] };
const delivery: DeliveryBody = { subscription: 'Subscription/s1', interaction: 'update', versionId: 'v2', resource: patient };
const context = { id: '6b1f2a8e-0000-4000-8000-000000000001', traceId: 'trace-1', resource: 'Patient/p1' };

function subscription(overrides: Partial<Subscription> = {}, channel: Partial<NonNullable<Subscription['channel']>> = {}): Subscription {
  return {
    resourceType: 'Subscription',
    id: 's1',
    status: 'active',
    reason: 'test',
    criteria: 'Patient',
    channel: { type: 'rest-hook', endpoint: 'https://receiver.example/hook?token=abc', payload: 'application/fhir+json', ...channel },
    ...overrides,
  };
}

describe('buildNotification', () => {
  test('full resource: JSON body, configured headers, idempotency key, trace and event headers', () => {
    const notification = buildNotification(subscription({}, { header: ['Authorization: Bearer xyz', 'X-Tenant:  rs-1 '] }), delivery, context);
    expect(notification.url).toBe('https://receiver.example/hook?token=abc');
    expect(JSON.parse(notification.body)).toEqual(patient);
    expect(notification.headers).toMatchObject({
      Authorization: 'Bearer xyz',
      'X-Tenant': 'rs-1',
      'Content-Type': 'application/fhir+json',
      'Idempotency-Key': context.id,
      'X-Trace-Id': 'trace-1',
      'X-Simpul-Subscription': 'Subscription/s1',
      'X-Simpul-Event': 'update',
    });
    expect(notification.headers['X-Signature']).toBeUndefined();
    expect(notification.headers['X-Medplum-Deleted-Resource']).toBeUndefined();
  });

  test('the HMAC signature is over the exact body bytes, keyed with the subscription-secret extension', () => {
    const secret = 's3cr3t-ü';
    const signed = subscription({ extension: [{ url: 'https://www.medplum.com/fhir/StructureDefinition/subscription-secret', valueString: secret }] });
    const notification = buildNotification(signed, delivery, context);
    expect(notification.headers['X-Signature']).toBe(createHmac('sha256', secret).update(Buffer.from(notification.body, 'utf8')).digest('hex'));
    // An empty notification is signed too (over the empty body).
    const empty = buildNotification({ ...signed, channel: { ...signed.channel, payload: undefined } as Subscription['channel'] }, delivery, context);
    expect(empty.body).toBe('');
    expect(empty.headers['X-Signature']).toBe(createHmac('sha256', secret).update('').digest('hex'));
  });

  test('our headers win over configured ones with the same name', () => {
    const notification = buildNotification(subscription({}, { header: ['Idempotency-Key: forged', 'X-Signature: forged'] }), delivery, context);
    expect(notification.headers['Idempotency-Key']).toBe(context.id);
    expect(notification.headers['X-Signature']).toBe('forged'); // no secret: the receiver's own header stays
  });

  test('payload modes: empty without channel.payload, id-only and empty by the backport extension', () => {
    expect(payloadContent(subscription({}, { payload: undefined }))).toBe('empty');
    expect(buildNotification(subscription({}, { payload: undefined }), delivery, context).body).toBe('');
    const idOnly = subscription({}, { extension: [{ url: PAYLOAD_CONTENT_EXTENSION_URL, valueCode: 'id-only' }] });
    expect(JSON.parse(buildNotification(idOnly, delivery, context).body)).toEqual({
      resourceType: 'Patient',
      id: 'p1',
      meta: { versionId: 'v2', lastUpdated: '2025-01-01T00:00:00.000Z' },
    });
    const onPayloadElement = subscription({}, { _payload: { extension: [{ url: PAYLOAD_CONTENT_EXTENSION_URL, valueCode: 'empty' }] } } as never);
    expect(payloadContent(onPayloadElement)).toBe('empty');
    // The hub sent no resource (its own empty payload): nothing to put in the body.
    expect(buildNotification(subscription(), { ...delivery, resource: undefined }, context).body).toBe('');
  });

  test('a non-JSON payload type still gets FHIR JSON with the right content type', () => {
    const notification = buildNotification(subscription({}, { payload: 'application/fhir+xml' }), delivery, context);
    expect(notification.headers['Content-Type']).toBe('application/fhir+json');
    expect(buildNotification(subscription({}, { payload: 'application/json' }), delivery, context).headers['Content-Type']).toBe('application/json');
  });

  test('a delete carries Medplum’s deleted-resource header', () => {
    const notification = buildNotification(subscription(), { ...delivery, interaction: 'delete' }, context);
    expect(notification.headers['X-Medplum-Deleted-Resource']).toBe('Patient/p1');
  });

  test.each([
    ['a line without a colon', ['NoColonHere']],
    ['an empty name', [': value']],
    ['a name with a space', ['Bad Name: v']],
    ['a CR/LF in the value (header injection)', ['X-A: ok\r\nX-Injected: evil']],
    ['a control character', ['X-A: \u0000']],
    ['too many lines', Array.from({ length: 51 }, (_, i) => `X-${i}: v`)],
  ])('rejects %s as a permanent failure naming the Subscription', (_label, header) => {
    expect(() => buildNotification(subscription({}, { header }), delivery, context)).toThrow(PermanentError);
    expect(() => buildNotification(subscription({}, { header }), delivery, context)).toThrow(/SIMPUL-BOTS-204.*Subscription\/s1.*channel\.header/);
  });

  test.each(['Bot/123', 'ftp://example.org/x', 'http://', '', 'javascript:alert(1)'])('rejects endpoint %j', (endpoint) => {
    expect(() => buildNotification(subscription({}, { endpoint }), delivery, context)).toThrow(/SIMPUL-BOTS-204.*endpoint/);
  });
});

describe('subscriptionMaxAttempts', () => {
  const url = 'https://medplum.com/fhir/StructureDefinition/subscription-max-attempts';
  test('reads a positive whole number, ignores anything else', () => {
    expect(subscriptionMaxAttempts(subscription({ extension: [{ url, valueInteger: 2 }] }))).toBe(2);
    expect(subscriptionMaxAttempts(subscription({ extension: [{ url, valueInteger: 0 }] }))).toBeUndefined();
    expect(subscriptionMaxAttempts(subscription({ extension: [{ url, valueString: '3' }] }))).toBeUndefined();
    expect(subscriptionMaxAttempts(subscription())).toBeUndefined();
  });
});
