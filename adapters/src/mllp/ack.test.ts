import { Hl7Message } from '@medplum/core';
import { describe, expect, it } from 'vitest';
import { ackCodeFor, buildAckMessage, escapeText, isAckWanted } from './ack.ts';
import { HL7_ERROR_CODES, mshLocation } from './message-problem.ts';

const original = Hl7Message.parse('MSH|^~\\&|HIS|RSUD|SIMPUL|HUB|20240101120000||ADT^A01^ADT_A01|MSG0001|T|2.5.1\rPID|1');

describe('ack codes and modes', () => {
  it('maps outcomes to original and enhanced codes', () => {
    expect(['accepted', 'rejected', 'error'].map((o) => ackCodeFor('original', o as 'accepted'))).toEqual(['AA', 'AR', 'AE']);
    expect(['accepted', 'rejected', 'error'].map((o) => ackCodeFor('enhanced', o as 'accepted'))).toEqual(['CA', 'CR', 'CE']);
  });

  it('follows MSH-15 in enhanced mode and always answers in original mode', () => {
    expect(isAckWanted('original', 'NE', 'accepted')).toBe(true);
    expect(isAckWanted('enhanced', 'AL', 'accepted')).toBe(true);
    expect(isAckWanted('enhanced', '', 'error')).toBe(true);
    expect(isAckWanted('enhanced', 'NE', 'error')).toBe(false);
    expect(isAckWanted('enhanced', 'ER', 'accepted')).toBe(false);
    expect(isAckWanted('enhanced', 'ER', 'rejected')).toBe(true);
    expect(isAckWanted('enhanced', 'SU', 'accepted')).toBe(true);
    expect(isAckWanted('enhanced', 'SU', 'error')).toBe(false);
  });
});

describe('buildAckMessage', () => {
  it('answers AA with MSA-2 = MSH-10, swapped sender/receiver, echoed processing id and a unique control id', () => {
    const first = buildAckMessage({ original, controlId: 'MSG0001', ackCode: 'AA', processingId: 'T' });
    const second = buildAckMessage({ original, controlId: 'MSG0001', ackCode: 'AA', processingId: 'T' });
    const msh = first.getSegment('MSH');
    expect(msh?.getField(3)?.toString()).toBe('SIMPUL');
    expect(msh?.getField(5)?.toString()).toBe('HIS');
    expect(msh?.getField(9)?.toString()).toBe('ACK^A01^ACK');
    expect(msh?.getField(11)?.toString()).toBe('T');
    expect(msh?.getField(10)?.toString().length).toBeLessThanOrEqual(20);
    expect(msh?.getField(10)?.toString()).not.toBe(second.getSegment('MSH')?.getField(10)?.toString());
    expect(first.getSegment('MSA')?.getField(1)?.toString()).toBe('AA');
    expect(first.getSegment('MSA')?.getField(2)?.toString()).toBe('MSG0001');
    expect(first.getSegment('ERR')).toBeUndefined();
  });

  it('adds an ERR segment with location, table 0357 code, severity and an escaped text', () => {
    const problem = { severity: 'reject' as const, error: HL7_ERROR_CODES.unsupportedMessageType, location: mshLocation(9), text: 'type "ZZZ^Z01" | not accepted' };
    const ack = buildAckMessage({ original, controlId: 'MSG0001', ackCode: 'AR', problem, charset: 'UNICODE UTF-8' });
    const text = ack.toString();
    const err = ack.getSegment('ERR');
    expect(err?.getField(1)?.toString()).toBe('MSH^1^9^200&Unsupported message type&HL70357');
    expect(err?.getField(2)?.toString()).toBe('MSH^1^9');
    expect(err?.getField(3)?.toString()).toBe('200^Unsupported message type^HL70357');
    expect(err?.getField(4)?.toString()).toBe('E');
    expect(err?.getField(8)?.toString()).toBe('type "ZZZ\\S\\Z01" \\F\\ not accepted');
    expect(ack.getSegment('MSA')?.getField(3)?.toString()).toBe('type "ZZZ\\S\\Z01" \\F\\ not accepted');
    expect(ack.getSegment('MSH')?.getField(18)?.toString()).toBe('UNICODE UTF-8');
    expect(Hl7Message.parse(text).getSegment('MSA')?.getField(1)?.toString()).toBe('AR');
  });

  it('builds a default header when the message could not be parsed', () => {
    const problem = { severity: 'reject' as const, error: HL7_ERROR_CODES.segmentSequence, location: mshLocation(), text: 'no MSH' };
    const ack = buildAckMessage({ original: undefined, controlId: '', ackCode: 'AR', problem });
    expect(ack.toString().startsWith('MSH|^~\\&|SIMPUL|')).toBe(true);
    expect(ack.getSegment('MSA')?.getField(1)?.toString()).toBe('AR');
    expect(ack.getSegment('ERR')?.getField(2)?.toString()).toBe('MSH^1');
  });
});

describe('escapeText', () => {
  it('escapes every separator with the message context, and flattens line breaks', () => {
    expect(escapeText('a|b^c~d\\e&f\r\ng', original.context)).toBe('a\\F\\b\\S\\c\\R\\d\\E\\e\\T\\f g');
  });
});
