import { describe, expect, test } from 'vitest';
import { buildDeliveryAuditEvent, endpointForAudit, fhirString, type DeliveryAttempt } from './delivery-audit.ts';

const attempt: DeliveryAttempt = {
  destination: { kind: 'rest-hook', endpoint: 'https://user:pw@receiver.example:8443/hook?token=secret' },
  subscription: 'Subscription/s1',
  resource: 'Patient/p1',
  versionId: '3',
  interaction: 'update',
  idempotencyKey: 'key-1',
  traceId: 'trace-1',
  attempt: 2,
  maxAttempts: 5,
  outcome: 'retrying',
  detail: 'https://receiver.example:8443/hook answered HTTP 503',
  start: new Date('2025-01-01T00:00:00.000Z'),
  end: new Date('2025-01-01T00:00:00.250Z'),
};

describe('buildDeliveryAuditEvent', () => {
  test('a failed rest-hook attempt: export, minor failure, endpoint without credentials or query, delivery details', () => {
    const event = buildDeliveryAuditEvent(attempt);
    expect(event).toMatchObject({
      resourceType: 'AuditEvent',
      type: { code: '110106' },
      action: 'E',
      outcome: '4',
      outcomeDesc: 'https://receiver.example:8443/hook answered HTTP 503',
      recorded: '2025-01-01T00:00:00.250Z',
      period: { start: '2025-01-01T00:00:00.000Z', end: '2025-01-01T00:00:00.250Z' },
      agent: [{ requestor: true, network: { address: 'https://receiver.example:8443/hook', type: '5' } }],
    });
    expect(JSON.stringify(event)).not.toContain('secret');
    expect(JSON.stringify(event)).not.toContain('pw@');
    expect(event.entity?.map((e) => e.what?.reference)).toEqual(['Patient/p1', 'Subscription/s1', undefined]);
    const details = Object.fromEntries((event.entity?.[2].detail ?? []).map((d) => [d.type, d.valueString]));
    expect(details).toEqual({ 'idempotency-key': 'key-1', attempt: '2 of 5', outcome: 'retrying', interaction: 'update', 'trace-id': 'trace-1' });
  });

  test('outcome codes: success 0, retrying 4, dead-lettered 8; a bot is the agent of its own attempts', () => {
    const bot = { kind: 'bot' as const, name: 'pacs', bot: { reference: 'Bot/b1', display: 'pacs' } };
    expect(buildDeliveryAuditEvent({ ...attempt, destination: bot, outcome: 'success', detail: undefined })).toMatchObject({
      type: { code: '110100' },
      outcome: '0',
      agent: [{ who: { reference: 'Bot/b1' }, requestor: true }],
    });
    expect(buildDeliveryAuditEvent({ ...attempt, outcome: 'dead-lettered' }).outcome).toBe('8');
    expect(buildDeliveryAuditEvent({ ...attempt, outcome: 'success', detail: undefined }).outcomeDesc).toBeUndefined();
  });
});

describe('fhirString and endpointForAudit', () => {
  test('control characters go, length is capped, nothing is left empty', () => {
    expect(fhirString('a\u0000b\u001Bc\nd\te')).toBe('a b c\nd\te');
    expect(fhirString('x'.repeat(5000))).toHaveLength(1000);
    expect(fhirString('   ')).toBe('-');
  });
  test('an endpoint is kept without credentials and query; junk is named as such', () => {
    expect(endpointForAudit('http://a:b@h:1/p?q=1#f')).toBe('http://h:1/p');
    expect(endpointForAudit('not a url')).toBe('an invalid URL');
  });
});
