import { Hl7Message } from '@medplum/core';
import { PermanentError } from '@simpul/infra';
import { describe, expect, it } from 'vitest';
import { RetryableDeliveryError } from '../routing/destination-driver.ts';
import { ackText, readAck } from './read-ack.ts';

const msh = (type = 'ACK^O01^ACK') => `MSH|^~\\&|RIS|RAD|SIMPUL|RS1|20240501020000||${type}|R1|P|2.5.1`;
const parse = (...segments: string[]) => Hl7Message.parse(segments.join('\r'));

describe('readAck', () => {
  it('accepts AA and CA for our control id', () => {
    expect(readAck(parse(msh(), 'MSA|AA|CTL1'), 'CTL1')).toEqual({ code: 'AA' });
    expect(readAck(parse(msh(), 'MSA|ca|CTL1'), 'CTL1')).toEqual({ code: 'CA' });
  });

  it('reads the filler order number from an ORR^O02 answer', () => {
    expect(readAck(parse(msh('ORR^O02^ORR_O02'), 'MSA|AA|CTL1', 'ORC|OK|ORD-42|RIS-77\\S\\X^RIS'), 'CTL1')).toEqual({ code: 'AA', fillerOrderNumber: 'RIS-77^X' });
  });

  it('makes AE and CE retryable with the error text', () => {
    const error = catchError(() => readAck(parse(msh(), 'MSA|AE|CTL1|Database busy', 'ERR|||207^Application internal error^HL70357|E||||Try again later'), 'CTL1'));
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect(error.message).toBe('the RIS answered AE (error) to control id CTL1: Database busy; Try again later; Application internal error (207)');
    expect(catchError(() => readAck(parse(msh(), 'MSA|CE|CTL1'), 'CTL1'))).toBeInstanceOf(RetryableDeliveryError);
  });

  it('makes AR and CR permanent with the error text', () => {
    const error = catchError(() => readAck(parse(msh(), 'MSA|AR|CTL1', 'ERR|||102^Data type error^HL70357|E||||Unknown procedure code'), 'CTL1'));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toContain('AR (rejected)');
    expect(error.message).toContain('Unknown procedure code');
    expect(catchError(() => readAck(parse(msh(), 'MSA|CR|CTL1'), 'CTL1'))).toBeInstanceOf(PermanentError);
  });

  it('reads the 2.3/2.4 ERR-1 location and text', () => {
    const reply = parse(msh(), 'MSA|AE|CTL1', 'ERR|PID^1^3^101&Required field missing&HL70357');
    expect(ackText(reply)).toBe('Required field missing (at PID-3)');
  });

  it('retries an ACK for another control id, naming both', () => {
    const error = catchError(() => readAck(parse(msh(), 'MSA|AA|OTHER'), 'CTL1'));
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect(error.message).toContain('"OTHER" instead of CTL1');
  });

  it('retries an answer that is not an ACK, naming its type', () => {
    const error = catchError(() => readAck(parse(msh('ADT^A01^ADT_A01'), 'PID|1||X'), 'CTL1'));
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect(error.message).toContain('ADT^A01^ADT_A01 without an MSA segment');
  });

  it('retries an unknown MSA-1', () => {
    expect(catchError(() => readAck(parse(msh(), 'MSA|ZZ|CTL1'), 'CTL1')).message).toContain('"ZZ"');
  });

  it('decodes escapes and bounds the length of the text', () => {
    const long = 'x'.repeat(5000);
    expect(ackText(parse(msh(), `MSA|AE|CTL1|a\\F\\b ${long}`)).length).toBe(1000);
    expect(ackText(parse(msh(), 'MSA|AE|CTL1|a\\F\\b'))).toBe('a|b');
  });
});

function catchError(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}
