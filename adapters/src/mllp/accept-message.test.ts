import { Hl7Message } from '@medplum/core';
import type { Envelope } from '@simpul/infra';
import { createLogger, parseConfig } from '@simpul/infra';
import { describe, expect, it } from 'vitest';
import type { AcceptDeps, IngestPublisher } from './accept-message.ts';
import { acceptMessage } from './accept-message.ts';
import { DuplicateWindow } from './duplicate-window.ts';

/** The bus itself is exercised in test/mllp-*.test.ts; here a publisher that records, or fails, on demand. */
class RecordingPublisher implements IngestPublisher {
  readonly published: { exchange: string; routingKey: string; envelope: Envelope }[] = [];
  failWith: Error | undefined;

  async publish(exchange: string, routingKey: string, envelope: Envelope): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.published.push({ exchange, routingKey, envelope });
  }
}

const source = { ...parseConfig({ mllp: { sources: [{ name: 'his' }] } }).mllp.sources[0] };
const peer = { remoteAddress: '10.0.0.5:40000', listener: '127.0.0.1:2575', tls: false };
const logger = createLogger({ level: 'silent', name: 'test' });
const message = (controlId: string, msh15 = ''): Buffer =>
  Buffer.from(`MSH|^~\\&|HIS|RSUD|SIMPUL|HUB|20240101120000||ADT^A01|${controlId}|P|2.5|||${msh15}\rPID|1||123^^^RSUD^MR||Santoso^Budi`, 'utf8');

function deps(publisher: IngestPublisher, overrides: Partial<AcceptDeps> = {}): AcceptDeps {
  return { source, publisher, duplicates: new DuplicateWindow({ windowMs: 600_000, maxEntries: 100 }), logger, ...overrides };
}

const ackOf = (ack: Buffer | undefined): Hl7Message => Hl7Message.parse((ack ?? Buffer.alloc(0)).toString('utf8'));

describe('acceptMessage', () => {
  it('publishes to simpul.ingest with routing key hl7.<source> and answers AA after the publish', async () => {
    const publisher = new RecordingPublisher();
    const result = await acceptMessage(message('A1'), peer, deps(publisher));
    expect(result).toMatchObject({ outcome: 'accepted', ackCode: 'AA', controlId: 'A1' });
    expect(publisher.published).toHaveLength(1);
    expect(publisher.published[0]).toMatchObject({ exchange: 'simpul.ingest', routingKey: 'hl7.his' });
    expect(publisher.published[0].envelope).toMatchObject({ id: result.envelopeId, traceId: result.traceId, kind: 'hl7', source: 'his' });
  });

  it('gives the same envelope id on two replicas (separate memories) inside one window, so the ingest worker drops the copy', async () => {
    const first = new RecordingPublisher();
    const second = new RecordingPublisher();
    const now = () => new Date('2024-03-01T08:00:00Z');
    const a = await acceptMessage(message('R1'), peer, deps(first, { now }));
    const b = await acceptMessage(message('R1'), { ...peer, remoteAddress: '10.0.0.6:1' }, deps(second, { now }));
    expect(a.envelopeId).toBe(b.envelopeId);
    expect(first.published[0].envelope.id).toBe(second.published[0].envelope.id);
  });

  it('answers AE with ERR 207 when the publish fails, and nothing when enhanced mode asked for no ACK (NE)', async () => {
    const publisher = new RecordingPublisher();
    publisher.failWith = new Error('NOT_READY');
    const original = await acceptMessage(message('F1'), peer, deps(publisher));
    expect(original).toMatchObject({ outcome: 'error', ackCode: 'AE' });
    expect(ackOf(original.ack).getSegment('ERR')?.getField(3)?.toString()).toBe('207^Application internal error^HL70357');
    const silent = await acceptMessage(message('F2', 'NE'), peer, deps(publisher));
    expect(silent).toMatchObject({ outcome: 'error', ackCode: 'CE' });
    expect(silent.ack).toBeUndefined();
  });

  it('turns an unexpected failure inside the edge into AE (never a thrown error)', async () => {
    const publisher = new RecordingPublisher();
    const result = await acceptMessage(message('X1'), peer, deps(publisher, { now: () => { throw new Error('clock broke'); } }));
    expect(result).toMatchObject({ outcome: 'error', ackCode: 'AE' });
    expect(ackOf(result.ack).getSegment('ERR')?.getField(8)?.toString()).toContain('internal error');
    expect(publisher.published).toHaveLength(0);
  });
});
