import { describe, expect, test } from 'vitest';
import { Part10ReadError, readPart10Identity } from './part10-reader.ts';
import { writeTestPart10 } from './test-part10-writer.ts';

const SOP = '1.2.826.0.1.3680043.8.498.10.1';
const STUDY = '1.2.826.0.1.3680043.8.498.10';

describe('readPart10Identity', () => {
  test.each([
    ['explicit-little', '1.2.840.10008.1.2.1'],
    ['implicit-little', '1.2.840.10008.1.2'],
    ['explicit-big', '1.2.840.10008.1.2.2'],
    ['deflated', '1.2.840.10008.1.2.1.99'],
  ] as const)('reads the UIDs of a %s data set, past an undefined-length sequence', (transferSyntax, transferSyntaxUid) => {
    const file = writeTestPart10({ sopInstanceUid: SOP, studyInstanceUid: STUDY, seriesInstanceUid: `${STUDY}.7`, transferSyntax });
    expect(readPart10Identity(file)).toEqual({
      sopInstanceUid: SOP,
      studyInstanceUid: STUDY,
      seriesInstanceUid: `${STUDY}.7`,
      sopClassUid: '1.2.840.10008.5.1.4.1.1.1.1',
      transferSyntaxUid,
    });
  });

  test('an undefined-length UN element is skipped as implicit VR little endian (PS3.5 6.2.2)', () => {
    const file = writeTestPart10({ sopInstanceUid: SOP, studyInstanceUid: STUDY });
    const studyTag = file.indexOf(Buffer.from([0x20, 0x00, 0x0d, 0x00, 0x55, 0x49]));
    const privateUn = Buffer.concat([
      Buffer.from([0x09, 0x00, 0x10, 0x10]), // (0009,1010)
      Buffer.from('UN\0\0', 'latin1'),
      Buffer.from([0xff, 0xff, 0xff, 0xff]),
      Buffer.from([0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff]), // item, undefined length
      Buffer.from([0x09, 0x00, 0x11, 0x10, 0x04, 0x00, 0x00, 0x00]), // implicit (0009,1011), 4 bytes
      Buffer.from('ABCD', 'latin1'),
      Buffer.from([0xfe, 0xff, 0x0d, 0xe0, 0x00, 0x00, 0x00, 0x00]), // item delimiter
      Buffer.from([0xfe, 0xff, 0xdd, 0xe0, 0x00, 0x00, 0x00, 0x00]), // sequence delimiter
    ]);
    const withUn = Buffer.concat([file.subarray(0, studyTag), privateUn, file.subarray(studyTag)]);
    expect(readPart10Identity(withUn).studyInstanceUid).toBe(STUDY);
  });

  test('odd-length UIDs lose their NUL padding', () => {
    const identity = readPart10Identity(writeTestPart10({ sopInstanceUid: '1.2.3', studyInstanceUid: '1.2.34' }));
    expect(identity.sopInstanceUid).toBe('1.2.3');
    expect(identity.studyInstanceUid).toBe('1.2.34');
  });

  test.each([
    ['empty input', Buffer.alloc(0), /no "DICM"/],
    ['a JPEG', Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(200)]), /no "DICM"/],
    ['"DICM" without a preamble', Buffer.from('DICM' + 'x'.repeat(200)), /no "DICM"/],
    ['a preamble and DICM only', Buffer.concat([Buffer.alloc(128), Buffer.from('DICM')]), /no Transfer Syntax UID/],
    ['garbage after DICM', Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), Buffer.from('\x02\x00\x10\x00??\x04\x00')]), /no valid VR/],
  ])('refuses %s', (_name, bytes, message) => {
    expect(() => readPart10Identity(bytes)).toThrow(message);
    expect(() => readPart10Identity(bytes)).toThrow(Part10ReadError);
  });

  test('a file cut inside the Study Instance UID is refused, not read short', () => {
    const file = writeTestPart10({ sopInstanceUid: SOP, studyInstanceUid: STUDY });
    const studyAt = file.indexOf(Buffer.from(STUDY, 'latin1'), file.indexOf(Buffer.from([0x20, 0x00, 0x0d, 0x00])));
    expect(() => readPart10Identity(file.subarray(0, studyAt + 5))).toThrow(/the file ends at byte/);
  });

  test('a data set without a Study Instance UID is refused by name', () => {
    const file = writeTestPart10({ sopInstanceUid: SOP, studyInstanceUid: STUDY });
    const studyTag = file.indexOf(Buffer.from([0x20, 0x00, 0x0d, 0x00, 0x55, 0x49]));
    expect(() => readPart10Identity(file.subarray(0, studyTag))).toThrow('the data set has no Study Instance UID (0020,000D)');
  });

  test('a SOP Instance UID that is not a UID is refused', () => {
    const file = writeTestPart10({ sopInstanceUid: '1.2.3.4', studyInstanceUid: STUDY });
    const datasetSop = file.lastIndexOf(Buffer.from('1.2.3.4', 'latin1'), file.indexOf(Buffer.from([0x08, 0x00, 0x50, 0x00])));
    file.write('1.2.X.4', datasetSop, 'latin1');
    expect(() => readPart10Identity(file)).toThrow(/SOP Instance UID \(0008,0018\) is not a valid UID: "1.2.X.4"/);
  });

  test('sequences nested without end are refused without exhausting the stack', () => {
    const header = writeTestPart10({ sopInstanceUid: SOP, studyInstanceUid: STUDY });
    const metaEnd = header.indexOf(Buffer.from([0x08, 0x00, 0x05, 0x00]));
    const nest = Buffer.concat([
      Buffer.from([0x08, 0x00, 0x40, 0x11]),
      Buffer.from('SQ\0\0', 'latin1'),
      Buffer.from([0xff, 0xff, 0xff, 0xff]),
      Buffer.from([0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff]),
    ]);
    const bomb = Buffer.concat([header.subarray(0, metaEnd), ...Array.from({ length: 10_000 }, () => nest)]);
    expect(() => readPart10Identity(bomb)).toThrow(/nested deeper than 32/);
  });

  test('a deflated data set that does not inflate is refused', () => {
    const file = writeTestPart10({ sopInstanceUid: SOP, studyInstanceUid: STUDY, transferSyntax: 'deflated' });
    const implementationClassUid = '1.2.826.0.1.3680043.10.1475.1';
    const metaEnd = file.indexOf(implementationClassUid) + implementationClassUid.length + 1; // + NUL padding
    const broken = Buffer.concat([file.subarray(0, metaEnd), Buffer.from('this is not deflate data at all, sorry')]);
    expect(() => readPart10Identity(broken)).toThrow(Part10ReadError);
  });
});
