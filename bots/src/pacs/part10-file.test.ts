import { describe, expect, it } from 'vitest';
import { parsePart10Meta } from './part10-file.ts';

function element(number: number, vr: string, value: Buffer): Buffer {
  const long = vr === 'OB';
  const header = Buffer.alloc(long ? 12 : 8);
  header.writeUInt16LE(0x0002, 0);
  header.writeUInt16LE(number, 2);
  header.write(vr, 4, 'latin1');
  if (long) header.writeUInt32LE(value.length, 8);
  else header.writeUInt16LE(value.length, 6);
  return Buffer.concat([header, value]);
}

const uid = (value: string): Buffer => Buffer.from(value.length % 2 === 0 ? value : `${value}\0`, 'latin1');

function file(meta: Buffer[], dataset = Buffer.from([0x08, 0x00, 0x60, 0x00, 0x43, 0x53, 0x02, 0x00, 0x43, 0x54])): Buffer {
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), ...meta, dataset]);
}

const META = [
  element(0x0001, 'OB', Buffer.from([0, 1])),
  element(0x0002, 'UI', uid('1.2.840.10008.5.1.4.1.1.2')),
  element(0x0003, 'UI', uid('1.2.3.4')),
  element(0x0010, 'UI', uid('1.2.840.10008.1.2.4.50')),
];

describe('parsePart10Meta', () => {
  it('reads the SOP class, instance and transfer syntax, and where the data set starts', () => {
    const bytes = file(META);
    const meta = parsePart10Meta(bytes);
    expect(meta).toMatchObject({ sopClassUid: '1.2.840.10008.5.1.4.1.1.2', sopInstanceUid: '1.2.3.4', transferSyntaxUid: '1.2.840.10008.1.2.4.50' });
    expect(bytes.readUInt16LE(meta.datasetOffset)).toBe(0x0008);
    expect(meta.datasetOffset).toBe(bytes.length - 10);
  });

  it('refuses a file without the DICM prefix', () => {
    expect(() => parsePart10Meta(Buffer.alloc(200))).toThrow('no "DICM" prefix');
    expect(() => parsePart10Meta(Buffer.from('short'))).toThrow('no "DICM" prefix');
  });

  it('refuses a meta group without a transfer syntax', () => {
    expect(() => parsePart10Meta(file(META.slice(0, 3)))).toThrow('no Transfer Syntax UID (0002,0010)');
  });

  it('refuses a UID that is not one', () => {
    const hostile = [...META.slice(0, 2), element(0x0003, 'UI', uid('../../etc/passwd')), META[3]];
    expect(() => parsePart10Meta(file(hostile))).toThrow('Media Storage SOP Instance UID (0002,0003) is not a UID');
  });

  it('refuses an element whose length runs past the end', () => {
    const truncated = Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), element(0x0002, 'UI', uid('1.2')).subarray(0, 8), Buffer.from([0x31])]);
    truncated.writeUInt16LE(0x7fff, 128 + 4 + 6);
    expect(() => parsePart10Meta(truncated)).toThrow('(0002,0002) runs past the end of the file');
  });

  it('refuses a file with a meta group and no data set', () => {
    expect(() => parsePart10Meta(file(META, Buffer.alloc(0)))).toThrow('no data set');
  });
});
