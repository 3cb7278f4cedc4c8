import { describe, expect, it } from 'vitest';
import { assertEnvelope, encodeEnvelope, newEnvelope } from './envelope.ts';
import { BusError } from './errors.ts';
import { bodyBytes, decodeEnvelope } from './message-body.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('newEnvelope', () => {
  it('fills id, receivedAt and traceId', () => {
    const before = Date.now();
    const envelope = newEnvelope({ kind: 'hl7', source: 'RSUD_A', contentType: 'x-application/hl7-v2+er7', body: 'MSH|^~\\&|...' });
    expect(envelope.id).toMatch(UUID);
    expect(envelope.traceId).toMatch(UUID);
    expect(envelope.traceId).not.toBe(envelope.id);
    expect(Date.parse(envelope.receivedAt)).toBeGreaterThanOrEqual(before - 1);
    expect(new Date(envelope.receivedAt).toISOString()).toBe(envelope.receivedAt);
    expect(envelope).not.toHaveProperty('attempt');
  });

  it('keeps a given trace id, id, time and headers', () => {
    const envelope = newEnvelope({
      kind: 'delivery',
      source: 'hub',
      contentType: 'application/fhir+json',
      body: { resourceType: 'ServiceRequest' },
      traceId: 'trace-1',
      id: 'fixed-id',
      receivedAt: new Date('2024-01-02T03:04:05.000Z'),
      headers: { bot: 'pacs' },
    });
    expect(envelope).toMatchObject({ id: 'fixed-id', traceId: 'trace-1', receivedAt: '2024-01-02T03:04:05.000Z', headers: { bot: 'pacs' } });
  });

  it('refuses an unknown kind, an empty source or a missing body', () => {
    expect(() => newEnvelope({ kind: 'fax' as never, source: 's', contentType: 'text/plain', body: 'x' })).toThrow(/kind/);
    expect(() => newEnvelope({ kind: 'sql', source: '', contentType: 'application/json', body: {} })).toThrow(/source/);
    expect(() => newEnvelope({ kind: 'sql', source: 's', contentType: 'application/json', body: undefined })).toThrow(/body/);
    try {
      newEnvelope({ kind: 'sql', source: 's', contentType: '', body: 1 });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(BusError);
      expect((error as BusError).code).toBe('INVALID_ARGUMENT');
    }
  });
});

describe('encodeEnvelope / decodeEnvelope', () => {
  it('round-trips through JSON bytes without the delivery attempt', () => {
    const envelope = { ...newEnvelope({ kind: 'dicom', source: 'CT1', contentType: 'application/json', body: { blob: 'a/b.dcm' } }), attempt: 3 };
    const bytes = encodeEnvelope(envelope);
    const decoded = decodeEnvelope(bytes);
    expect(decoded.problem).toBeUndefined();
    const { attempt: _attempt, ...stored } = envelope;
    expect(decoded.envelope).toEqual(stored);
  });

  it('refuses a body that cannot become JSON', () => {
    const envelope = newEnvelope({ kind: 'sql', source: 's', contentType: 'application/json', body: { n: 1 } });
    (envelope.body as Record<string, unknown>).n = 10n;
    expect(() => encodeEnvelope(envelope)).toThrow(BusError);
  });

  it.each([
    ['not JSON', Buffer.from('MSH|^~\\&|garbage'), /not JSON/],
    ['a JSON array', Buffer.from('[1,2]'), /root/],
    ['null', null, /root/],
    ['no id', { kind: 'hl7', source: 's', receivedAt: '2024-01-01T00:00:00Z', traceId: 't', contentType: 'x', body: 'b' }, /^id/],
    ['a bad kind', { id: 'i', kind: 'smtp', source: 's', receivedAt: '2024-01-01T00:00:00Z', traceId: 't', contentType: 'x', body: 'b' }, /^kind/],
    ['a bad date', { id: 'i', kind: 'hl7', source: 's', receivedAt: 'yesterday', traceId: 't', contentType: 'x', body: 'b' }, /receivedAt/],
    ['an id of 10k characters', { id: 'x'.repeat(10_000), kind: 'hl7', source: 's', receivedAt: '2024-01-01T00:00:00Z', traceId: 't', contentType: 'x', body: 'b' }, /^id/],
    ['non-string headers', { id: 'i', kind: 'hl7', source: 's', receivedAt: '2024-01-01T00:00:00Z', traceId: 't', contentType: 'x', body: 'b', headers: { a: 1 } }, /headers/],
  ])('names the problem with %s', (_name, body, problem) => {
    const decoded = decodeEnvelope(body);
    expect(decoded.envelope).toBeUndefined();
    expect(decoded.problem).toMatch(problem);
  });

  it('decodes an envelope that arrived as text', () => {
    const envelope = newEnvelope({ kind: 'webhook', source: 'partner', contentType: 'application/json', body: {} });
    expect(decodeEnvelope(JSON.stringify(envelope)).envelope).toEqual(envelope);
  });

  it('assertEnvelope accepts unknown extra fields from newer producers', () => {
    const envelope = { ...newEnvelope({ kind: 'event', source: 'hub', contentType: 'application/json', body: 1 }), priority: 'high' };
    expect(() => assertEnvelope(envelope)).not.toThrow();
  });

  it('bodyBytes gives back the same bytes for buffers and text, and JSON for parsed bodies', () => {
    expect(bodyBytes(Buffer.from([0, 1, 2]))).toEqual(Buffer.from([0, 1, 2]));
    expect(bodyBytes('héllo').toString('utf8')).toBe('héllo');
    expect(JSON.parse(bodyBytes({ a: [1] }).toString())).toEqual({ a: [1] });
  });
});
