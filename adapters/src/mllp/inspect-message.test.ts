import { describe, expect, it } from 'vitest';
import type { Inspection, InspectionPolicy, RejectedMessage } from './inspect-message.ts';
import { inspectFrame } from './inspect-message.ts';

const POLICY: InspectionPolicy = {
  messageTypes: ['ADT^A01', 'ADT^A08', 'ORU^*', 'SIU'],
  versions: ['2.3', '2.5'],
  defaultCharset: 'UNICODE UTF-8',
};

/** An ADT^A01 with MSH fields replaceable by number (MSH-3 and up). */
function message(msh: Record<number, string> = {}, rest = 'EVN|A01|20240101120000\rPID|1||123^^^RSUD^MR||Santoso^Budi||19800401|M'): string {
  const fields: Record<number, string> = {
    3: 'HIS',
    4: 'RSUD',
    5: 'SIMPUL',
    6: 'HUB',
    7: '20240101120000',
    9: 'ADT^A01^ADT_A01',
    10: 'MSG0001',
    11: 'P',
    12: '2.5.1',
    ...msh,
  };
  const last = Math.max(12, ...Object.keys(fields).map(Number));
  const values = Array.from({ length: last - 2 }, (_, i) => fields[i + 3] ?? '');
  return `MSH|^~\\&|${values.join('|')}${rest ? `\r${rest}` : ''}`;
}

const inspect = (text: string | Buffer, policy = POLICY): Inspection => inspectFrame(typeof text === 'string' ? Buffer.from(text, 'utf8') : text, policy);

function rejectedBy(text: string | Buffer, policy = POLICY): RejectedMessage {
  const result = inspect(text, policy);
  if (result.ok) throw new Error('expected the message to be rejected');
  return result;
}

const where = (result: RejectedMessage): string => {
  const { location } = result.problem;
  return location ? [location.segment, location.sequence, location.field].filter((p) => p !== undefined).join('^') : '';
};

describe('inspectFrame: acceptable messages', () => {
  it('reads the header of a good message', () => {
    const result = inspect(message({ 15: 'AL', 16: 'NE' }));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.header).toMatchObject({
      sendingApplication: 'HIS',
      sendingFacility: 'RSUD',
      messageType: 'ADT^A01',
      messageStructure: 'ADT_A01',
      controlId: 'MSG0001',
      version: '2.5.1',
      acceptAckType: 'AL',
      applicationAckType: 'NE',
    });
    expect(result.charset.name).toBe('UNICODE UTF-8');
    expect(result.text.startsWith('MSH|')).toBe(true);
  });

  it('drops line breaks before MSH and accepts \\n as a segment separator', () => {
    const result = inspect(`\r\n${message().replaceAll('\r', '\n')}`);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.text.startsWith('MSH|')).toBe(true);
  });

  it('accepts wildcard types, bare message codes, and a version under an accepted major one', () => {
    expect(inspect(message({ 9: 'ORU^R01' })).ok).toBe(true);
    expect(inspect(message({ 9: 'SIU^S14' })).ok).toBe(true);
    expect(inspect(message({ 12: '2.3.1' })).ok).toBe(true);
    expect(inspect(message({ 9: 'QRY^Q01' }), { ...POLICY, messageTypes: ['*'] }).ok).toBe(true);
  });

  it('takes HL7 null ("") in a date field as empty', () => {
    expect(inspect(message({}, 'PID|1||123||Santoso^Budi||""')).ok).toBe(true);
  });
});

describe('inspectFrame: rejections name the problem (ERR-3 code, ERR-2 location)', () => {
  it.each([
    ['no MSH', 'PID|1||123', '100', 'MSH^1', /does not start with an MSH/],
    ['an empty frame', '', '100', 'MSH^1', /frame is empty/],
    ['binary garbage', '\x00\xff\x13garbage', '100', 'MSH^1', /does not start with an MSH/],
    ['a letter as field separator', message().replace('MSH|', 'MSHA'), '102', 'MSH^1^1', /field separator "A"/],
    ['three encoding characters', message().replace('^~\\&', '^~\\'), '102', 'MSH^1^2', /encoding characters "\^~\\"/],
    ['repeated encoding characters', message().replace('^~\\&', '^^\\&'), '102', 'MSH^1^2', /encoding characters/],
    ['an empty MSH-9', message({ 9: '' }), '101', 'MSH^1^9', /MSH-9 \(message type\) is empty/],
    ['an empty MSH-10', message({ 10: '' }), '101', 'MSH^1^10', /MSH-10/],
    ['a truncated MSH (no MSH-12)', 'MSH|^~\\&|HIS|RSUD|SIMPUL|HUB|20240101||ADT^A01|MSG1', '101', 'MSH^1^12', /MSH-12/],
    ['a bad MSH-7', message({ 7: '20241301' }), '102', 'MSH^1^7', /MSH-7 "20241301" is not a valid HL7 date\/time/],
    ['an unsupported version', message({ 12: '2.6' }), '203', 'MSH^1^12', /version "2.6" is not accepted/],
    ['an unknown message type', message({ 9: 'ZZZ^Z01' }), '200', 'MSH^1^9', /"ZZZ\^Z01" is not accepted/],
    ['an unknown event of a known type', message({ 9: 'ADT^A03' }), '201', 'MSH^1^9', /"ADT\^A03"/],
    ['a bad MSH-15', message({ 15: 'XX' }), '103', 'MSH^1^15', /MSH-15 "XX"/],
    ['an unknown charset', message({ 18: 'ISO IR87' }), '103', 'MSH^1^18', /character set "ISO IR87" is not supported/],
    ['a truncated segment id', message({}, 'PI|1'), '100', 'PI?^1', /segment 2 \("PI\|1…"\) is not a valid segment/],
    ['a lower-case segment id', message({}, 'pid|1'), '100', 'pid^1', /not a valid segment/],
    ['two messages in one frame', `${message()}\r${message()}`, '100', 'MSH^2', /second MSH/],
    ['a control character', message({}, 'PID|1||12\x003'), '102', 'PID^1', /control character 0x00/],
    ['a bad birth date', message({}, 'PID|1||123||Santoso^Budi||19800231'), '102', 'PID^1^7', /PID-7 "19800231"/],
    ['a bad date in the second OBX', message({ 9: 'ORU^R01' }, 'OBX|1|NM|x||1||||||F|||20240101\rOBX|2|NM|x||1||||||F|||2024-01-01'), '102', 'OBX^2^14', /OBX-14/],
  ])('%s', (_what, text, code, location, reason) => {
    const result = rejectedBy(text);
    expect(result.problem.severity).toBe('reject');
    expect(result.problem.error.code).toBe(code);
    expect(where(result)).toBe(location);
    expect(result.problem.text).toMatch(reason);
  });

  it('keeps the control id for MSA-2 even when the encoding characters are wrong', () => {
    const result = rejectedBy(message({ 10: 'CTL-77' }).replace('^~\\&', '^~'));
    expect(result.message).toBeUndefined();
    expect(result.controlId).toBe('CTL-77');
  });

  it('keeps the parsed message for the ACK when MSH itself is readable', () => {
    const result = rejectedBy(message({ 9: 'ZZZ^Z01', 10: 'C9' }));
    expect(result.message?.getSegment('MSH')?.getField(10)?.toString()).toBe('C9');
    expect(result.header?.messageType).toBe('ZZZ^Z01');
  });
});

describe('inspectFrame: character sets (MSH-18)', () => {
  const name = 'Siti Nurhaliza Ñoño Müller';

  it('decodes 8859/1 bytes as latin1', () => {
    const text = message({ 18: '8859/1' }, `PID|1||123||${name}`);
    const result = inspect(Buffer.from(text, 'latin1'));
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.text).toContain(name);
      expect(result.charset.name).toBe('8859/1');
    }
  });

  it('decodes UNICODE UTF-8, and the default charset applies when MSH-18 is empty', () => {
    const declared = inspect(Buffer.from(message({ 18: 'UNICODE UTF-8' }, `PID|1||123||${name}`), 'utf8'));
    const byDefault = inspect(Buffer.from(message({}, `PID|1||123||${name}`), 'latin1'), { ...POLICY, defaultCharset: '8859/1' });
    for (const result of [declared, byDefault]) {
      expect(result.ok).toBe(true);
      if (result.ok) expect(result.text).toContain(name);
    }
  });

  it('rejects latin1 bytes declared (or defaulted) as UTF-8 instead of corrupting them', () => {
    const result = rejectedBy(Buffer.from(message({}, `PID|1||123||${name}`), 'latin1'));
    expect(result.problem.error.code).toBe('102');
    expect(where(result)).toBe('MSH^1^18');
    expect(result.problem.text).toMatch(/not valid UTF-8/);
    expect(result.charset.name).toBe('8859/1');
  });
});
