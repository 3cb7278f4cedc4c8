import { deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DicomParseError } from './dicom-parse-error.ts';
import type { DicomParseFailure } from './dicom-parse-error.ts';
import { parseDicomFile } from './parse-dicom-file.ts';
import { DcmtkWorkspace } from './testing/dcmtk.ts';
import { ctGradient, multiFrameGray } from './testing/synthetic-images.ts';
import { writeDicomFile } from './write-dicom-file.ts';

let workspace: DcmtkWorkspace;

beforeAll(async () => {
  workspace = await DcmtkWorkspace.create();
});

afterAll(async () => {
  await workspace?.dispose();
});

function parseError(bytes: Uint8Array): DicomParseError {
  try {
    parseDicomFile(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(DicomParseError);
    return error as DicomParseError;
  }
  throw new Error('expected parseDicomFile to throw');
}

function expectParseError(bytes: Uint8Array, reason: DicomParseFailure, message: RegExp): DicomParseError {
  const error = parseError(bytes);
  expect(error.reason).toBe(reason);
  expect(error.message).toMatch(message);
  return error;
}

/** Builds a Part 10 file by hand: preamble, DICM, a file meta group with `transferSyntaxUid`, then `dataset` bytes. */
function handMadeFile(transferSyntaxUid: string, dataset: Uint8Array): Uint8Array {
  const uid = transferSyntaxUid.length % 2 === 0 ? transferSyntaxUid : `${transferSyntaxUid}\0`;
  const syntax = explicit(0x0002, 0x0010, 'UI', new TextEncoder().encode(uid));
  const groupLength = explicit(0x0002, 0x0000, 'UL', new Uint8Array(new Uint32Array([syntax.length]).buffer));
  const meta = Uint8Array.from([...groupLength, ...syntax]);
  const file = new Uint8Array(132 + meta.length + dataset.length);
  file.set([0x44, 0x49, 0x43, 0x4d], 128);
  file.set(meta, 132);
  file.set(dataset, 132 + meta.length);
  return file;
}

/** An explicit VR little endian element; `length` overrides the declared length. */
function explicit(group: number, element: number, vr: string, value: Uint8Array, length = value.length): Uint8Array {
  const long = ['OB', 'OW', 'SQ', 'UN', 'UT'].includes(vr);
  const header = new DataView(new ArrayBuffer(long ? 12 : 8));
  header.setUint16(0, group, true);
  header.setUint16(2, element, true);
  header.setUint8(4, vr.charCodeAt(0));
  header.setUint8(5, vr.charCodeAt(1));
  if (long) {
    header.setUint32(8, length, true);
  } else {
    header.setUint16(6, length, true);
  }
  return Uint8Array.from([...new Uint8Array(header.buffer), ...value]);
}

function tagged(group: number, element: number, length: number): Uint8Array {
  const view = new DataView(new ArrayBuffer(8));
  view.setUint16(0, group, true);
  view.setUint16(2, element, true);
  view.setUint32(4, length, true);
  return new Uint8Array(view.buffer);
}

const UNDEFINED = 0xffffffff;
const ascii = (text: string) => new TextEncoder().encode(text);

describe('parseDicomFile reads', () => {
  it('an explicit VR little endian file into naturalized meta and data set', () => {
    const parsed = parseDicomFile(writeDicomFile(ctGradient({ rows: 16, columns: 16 })));
    expect(parsed.transferSyntaxUid).toBe('1.2.840.10008.1.2.1');
    expect(parsed.meta.TransferSyntaxUID).toBe('1.2.840.10008.1.2.1');
    expect(parsed.dataset).toMatchObject({ Modality: 'CT', Rows: 16, Columns: 16, RescaleIntercept: -600 });
    expect((parsed.dataset.PixelData as ArrayBuffer[])[0].byteLength).toBe(16 * 16 * 2);
  });

  it.each(['implicit-little', 'explicit-big', 'deflated', 'jpeg-lossless-sv1', 'rle'] as const)('a file dcmtk wrote in %s', async (conversion) => {
    const parsed = parseDicomFile(await workspace.transcode(writeDicomFile(multiFrameGray(3)), conversion));
    expect(parsed.dataset).toMatchObject({ NumberOfFrames: 3, Rows: 128, Columns: 160 });
  });

  it('collects what dcmjs complains about instead of printing it', async () => {
    const implicit = await workspace.transcode(writeDicomFile(ctGradient({ rows: 8, columns: 8 })), 'implicit-little');
    const console = { warn: vi.spyOn(globalThis.console, 'warn'), error: vi.spyOn(globalThis.console, 'error'), log: vi.spyOn(globalThis.console, 'log') };
    try {
      const parsed = parseDicomFile(implicit);
      expect(parsed.warnings.join('\n')).toMatch(/Invalid vr type/);
      for (const spy of Object.values(console)) {
        expect(spy).not.toHaveBeenCalled();
      }
    } finally {
      Object.values(console).forEach((spy) => spy.mockRestore());
    }
  });
});

describe('parseDicomFile rejects', () => {
  const whole = writeDicomFile(ctGradient({ rows: 32, columns: 32 }));

  it('bytes without the DICM prefix', () => {
    expectParseError(new Uint8Array(0), 'not-part10', /no "DICM" prefix at byte 128 \(0 bytes in total\)/);
    expectParseError(new Uint8Array(131), 'not-part10', /no "DICM" prefix/);
    expectParseError(whole.subarray(1), 'not-part10', /no "DICM" prefix/);
  });

  it('a file cut anywhere, naming where', () => {
    const metaCut = expectParseError(whole.subarray(0, 140), 'truncated', /truncated: .*\(0002,/);
    expect(metaCut.tag).toMatch(/^\(0002,/);
    expectParseError(whole.subarray(0, whole.length - 1), 'truncated', /\(7FE0,0010\) Pixel Data declares 2048 bytes at offset \d+ but only 2047 remain/);
    const pixelOffset = whole.length - 2048 - 12;
    expectParseError(whole.subarray(0, pixelOffset + 6), 'truncated', /the file ends inside the header of element \(7FE0,0010\)/);
  });

  it('an encapsulated file cut inside a fragment or before its sequence delimiter', async () => {
    const jpeg = await workspace.transcode(whole, 'jpeg-lossless-sv1');
    expectParseError(jpeg.subarray(0, jpeg.length - 100), 'truncated', /an item of \(7FE0,0010\) Pixel Data declares \d+ bytes/);
    expectParseError(jpeg.subarray(0, jpeg.length - 8), 'truncated', /\(7FE0,0010\) Pixel Data \(undefined length\) ends at offset \d+ without a sequence delimitation item/);
  });

  it('a value length far beyond the file (hostile input) without allocating it', () => {
    const file = handMadeFile('1.2.840.10008.1.2.1', explicit(0x0010, 0x4000, 'UT', ascii('ab'), 0xfffffff0));
    expectParseError(file, 'truncated', /element \(0010,4000\) declares 4294967280 bytes .* only 2 remain/);
  });

  it('an invalid VR, a stray item tag and runaway nesting', () => {
    expectParseError(handMadeFile('1.2.840.10008.1.2.1', explicit(0x0010, 0x0010, 'ZZ', ascii('ab'))), 'malformed', /element \(0010,0010\) at offset \d+ has no valid VR \(found "ZZ"\)/);
    expectParseError(handMadeFile('1.2.840.10008.1.2.1', tagged(0xfffe, 0xe000, 0)), 'malformed', /unexpected \(FFFE,E000\) item tag/);
    const nested: number[] = [];
    for (let depth = 0; depth < 100; depth++) {
      nested.push(...explicit(0x0008, 0x1115, 'SQ', new Uint8Array(0), UNDEFINED), ...tagged(0xfffe, 0xe000, UNDEFINED));
    }
    expectParseError(handMadeFile('1.2.840.10008.1.2.1', Uint8Array.from(nested)), 'malformed', /nested more than 64 deep/);
  });

  it('a sequence item without its delimitation', () => {
    const dataset = Uint8Array.from([...explicit(0x0008, 0x1115, 'SQ', new Uint8Array(0), UNDEFINED), ...tagged(0xfffe, 0xe000, UNDEFINED), ...explicit(0x0008, 0x1150, 'UI', ascii('1.2'))]);
    expectParseError(handMadeFile('1.2.840.10008.1.2.1', dataset), 'truncated', /item .* has no item delimitation/);
  });

  it('a deflated data set that is cut or is not deflate data', () => {
    const dataset = explicit(0x0010, 0x0020, 'LO', ascii('RM-0001 '));
    const deflated = deflateRawSync(Buffer.concat(Array.from({ length: 50 }, () => Buffer.from(dataset))));
    expect(() => parseDicomFile(handMadeFile('1.2.840.10008.1.2.1.99', deflated))).not.toThrow();
    expectParseError(handMadeFile('1.2.840.10008.1.2.1.99', deflated.subarray(0, deflated.length - 4)), 'truncated', /deflated data set cannot be inflated/);
    expectParseError(handMadeFile('1.2.840.10008.1.2.1.99', Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x00])), 'malformed', /deflated data set cannot be inflated/);
  });

  it('a file meta group without a Transfer Syntax UID', () => {
    const file = new Uint8Array(132 + 8);
    file.set([0x44, 0x49, 0x43, 0x4d], 128);
    expectParseError(file, 'missing-attribute', /no Transfer Syntax UID \(0002,0010\)/);
  });
});

describe('writeDicomFile', () => {
  it('round-trips implicit and explicit VR little endian', () => {
    const dataset = ctGradient({ rows: 4, columns: 4 });
    for (const transferSyntaxUid of ['1.2.840.10008.1.2', '1.2.840.10008.1.2.1'] as const) {
      const parsed = parseDicomFile(writeDicomFile(dataset, { transferSyntaxUid, sourceAeTitle: 'CT_RSUD' }));
      expect(parsed.transferSyntaxUid).toBe(transferSyntaxUid);
      expect(parsed.meta.SourceApplicationEntityTitle).toBe('CT_RSUD');
      expect(parsed.dataset.SOPInstanceUID).toBe(dataset.SOPInstanceUID);
      expect(new Int16Array((parsed.dataset.PixelData as ArrayBuffer[])[0])).toEqual(new Int16Array((dataset.PixelData as ArrayBuffer[])[0]));
    }
  });
});
