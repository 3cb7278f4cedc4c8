import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DicomParseError } from '../data/dicom-parse-error.ts';
import { DcmtkWorkspace } from '../data/testing/dcmtk.ts';
import { ctGradient } from '../data/testing/synthetic-images.ts';
import { writeDicomFile } from '../data/write-dicom-file.ts';
import { DatasetWalker, type WalkerEncoding } from './dataset-walker.ts';

/** The data set after the file meta group of a Part 10 file. */
function datasetOf(file: Uint8Array): Uint8Array {
  const bytes = Buffer.from(file);
  return bytes.subarray(144 + bytes.readUInt32LE(140));
}

function walk(dataset: Uint8Array, encoding: WalkerEncoding, chunk: number) {
  const tops: number[] = [];
  const walker = new DatasetWalker(encoding, (_offset, tag) => tops.push(tag));
  for (let offset = 0; offset < dataset.length; offset += chunk) walker.push(dataset.subarray(offset, offset + chunk));
  return { result: walker.finish(), tops };
}

function failure(dataset: Uint8Array, encoding: WalkerEncoding = 'explicit-little'): DicomParseError {
  try {
    walk(dataset, encoding, 7);
  } catch (error) {
    if (error instanceof DicomParseError) return error;
    throw error;
  }
  throw new Error('the walker accepted it');
}

// A CT with a sequence (Referenced Image Sequence, two items) before the pixel data.
const CT = {
  ...ctGradient({ rows: 32, columns: 32 }),
  ReferencedImageSequence: [
    { ReferencedSOPClassUID: '1.2.840.10008.5.1.4.1.1.2', ReferencedSOPInstanceUID: '1.2.3.4' },
    { ReferencedSOPClassUID: '1.2.840.10008.5.1.4.1.1.2', ReferencedSOPInstanceUID: '1.2.3.5' },
  ],
};

describe('DatasetWalker', () => {
  let dcmtk: DcmtkWorkspace;
  beforeAll(async () => {
    dcmtk = await DcmtkWorkspace.create();
  });
  afterAll(async () => {
    await dcmtk?.dispose();
  });

  it('finds the pixel data and every top-level element however the bytes are split', () => {
    const dataset = datasetOf(writeDicomFile(CT));
    const whole = walk(dataset, 'explicit-little', dataset.length);
    expect(whole.result.length).toBe(dataset.length);
    expect(whole.result.pixelData).toMatchObject({ tag: '(7FE0,0010)', length: 32 * 32 * 2, fragments: 0 });
    expect(whole.tops.at(-1)).toBe(0x7fe00010);
    for (const chunk of [1, 3, 7, 12, 4096]) {
      expect(walk(dataset, 'explicit-little', chunk), `chunks of ${chunk}`).toEqual(whole);
    }
  });

  it('walks implicit VR, big endian (undefined-length sequences included) and encapsulated pixel data', async () => {
    const base = writeDicomFile(CT);
    const implicit = datasetOf(await dcmtk.transcode(base, 'implicit-little', ['-e']));
    expect(walk(implicit, 'implicit-little', 5).result.pixelData?.length).toBe(2048);
    const big = datasetOf(await dcmtk.transcode(base, 'explicit-big', ['-e']));
    expect(walk(big, 'explicit-big', 5).result.pixelData?.length).toBe(2048);
    const rle = datasetOf(await dcmtk.transcode(base, 'rle'));
    const encapsulated = walk(rle, 'explicit-little', 5).result.pixelData;
    expect(encapsulated).toMatchObject({ length: undefined });
    expect(encapsulated?.fragments).toBeGreaterThanOrEqual(2);
  });

  it('reports a value cut short, with what was declared and what arrived', () => {
    const dataset = datasetOf(writeDicomFile(CT));
    const error = failure(dataset.subarray(0, dataset.length - 100));
    expect(error.reason).toBe('truncated');
    expect(error.message).toMatch(/\(7FE0,0010\) Pixel Data declares 2048 bytes at offset \d+ but only 1948 arrived/);
  });

  it('reports a header cut short and an undefined-length sequence without its delimitation', async () => {
    const dataset = datasetOf(writeDicomFile(CT));
    expect(failure(dataset.subarray(0, 5)).message).toMatch(/inside an element header/);
    const undefinedLength = datasetOf(await dcmtk.transcode(writeDicomFile(CT), 'implicit-little', ['-e']));
    const sequenceEnd = Buffer.from(undefinedLength).indexOf(Buffer.from([0xfe, 0xff, 0xdd, 0xe0]));
    expect(sequenceEnd).toBeGreaterThan(0);
    expect(failure(undefinedLength.subarray(0, sequenceEnd), 'implicit-little').message).toMatch(/without its delimitation/);
  });

  it('refuses an invalid VR, an item tag where an element belongs, and nesting deeper than 64', () => {
    const badVr = Buffer.from([0x08, 0x00, 0x20, 0x00, 0x5a, 0x5a, 0x02, 0x00, 0x41, 0x42]);
    expect(failure(badVr).message).toMatch(/no valid VR \(found "ZZ"\)/);
    const strayItem = Buffer.from([0xfe, 0xff, 0x00, 0xe0, 0x00, 0x00, 0x00, 0x00]);
    expect(failure(strayItem).message).toMatch(/item tag .* where a data element should be/);
    const level = Buffer.from([0x08, 0x00, 0x15, 0x11, 0x53, 0x51, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff]);
    const deep = Buffer.concat(Array.from({ length: 70 }, () => level));
    expect(failure(deep).message).toMatch(/nested more than 64 deep/);
  });
});
