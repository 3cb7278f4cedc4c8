import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DicomParseError } from '../data/dicom-parse-error.ts';
import { DcmtkWorkspace } from '../data/testing/dcmtk.ts';
import { withTransferSyntax } from '../data/testing/rewrite-file-meta.ts';
import { ctGradient, multiFrameGray } from '../data/testing/synthetic-images.ts';
import { writeDicomFile } from '../data/write-dicom-file.ts';
import { PreviewError } from './preview-error.ts';
import type { PreviewFailure } from './preview-error.ts';
import { renderPreview } from './render-preview.ts';

/** Bad input gets a PreviewError with the right reason and a message naming the problem; nothing crashes. */

let workspace: DcmtkWorkspace;
let jpegLossless: Uint8Array;

beforeAll(async () => {
  workspace = await DcmtkWorkspace.create();
  jpegLossless = await workspace.transcode(writeDicomFile(ctGradient({ rows: 128, columns: 128 })), 'jpeg-lossless-sv1');
});

afterAll(async () => {
  await workspace?.dispose();
});

async function failure(input: Uint8Array): Promise<PreviewError> {
  try {
    await renderPreview(input, { maxSize: 256 });
  } catch (error) {
    expect(error).toBeInstanceOf(PreviewError);
    return error as PreviewError;
  }
  throw new Error('expected renderPreview to fail');
}

async function expectFailure(input: Uint8Array, reason: PreviewFailure, message: RegExp): Promise<PreviewError> {
  const error = await failure(input);
  expect(error.reason).toBe(reason);
  expect(error.message).toMatch(message);
  return error;
}

/** Rewrites the value of a US element (Rows, Columns...) in place: 2-byte value after an 8-byte header. */
function patchUnsignedShort(file: Uint8Array, group: number, element: number, value: number): Uint8Array {
  const copy = new Uint8Array(file);
  const tag = [group & 0xff, group >> 8, element & 0xff, element >> 8, 0x55, 0x53];
  for (let i = 132; i < copy.length - 10; i++) {
    if (tag.every((byte, j) => copy[i + j] === byte)) {
      new DataView(copy.buffer).setUint16(i + 8, value, true);
      return copy;
    }
  }
  throw new Error(`no US element (${group.toString(16)},${element.toString(16)})`);
}

describe('unreadable files', () => {
  it('a file cut inside the pixel data: invalid-dicom, naming Pixel Data', async () => {
    const whole = writeDicomFile(ctGradient({ rows: 64, columns: 64 }));
    const error = await expectFailure(whole.subarray(0, whole.length - 1000), 'invalid-dicom', /truncated: \(7FE0,0010\) Pixel Data declares 8192 bytes/);
    expect(error.cause).toBeInstanceOf(DicomParseError);
    expect((error.cause as DicomParseError).reason).toBe('truncated');
  });

  it('a compressed file cut inside its fragments', async () => {
    await expectFailure(jpegLossless.subarray(0, jpegLossless.length - 500), 'invalid-dicom', /truncated/);
  });

  it('bytes that are not DICOM at all', async () => {
    await expectFailure(new TextEncoder().encode('MSH|^~\\&|HIS|RS|'.repeat(40)), 'invalid-dicom', /no "DICM" prefix/);
    await expectFailure(new Uint8Array(0), 'invalid-dicom', /no "DICM" prefix/);
  });

  it('random bytes after a valid-looking preamble', async () => {
    const bytes = new Uint8Array(4096);
    let seed = 7;
    for (let i = 0; i < bytes.length; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      bytes[i] = seed & 0xff;
    }
    bytes.set([0x44, 0x49, 0x43, 0x4d], 128);
    const error = await failure(bytes);
    expect(error.reason).toBe('invalid-dicom');
  });
});

describe('objects without a usable image', () => {
  it('no pixel data (an SR, a KOS)', async () => {
    const { PixelData: _pixels, ...withoutPixels } = ctGradient({ rows: 8, columns: 8 });
    await expectFailure(writeDicomFile(withoutPixels), 'no-pixel-data', /no Pixel Data \(7FE0,0010\)/);
  });

  it('pixel data shorter than Rows × Columns say', async () => {
    const dataset = ctGradient({ rows: 64, columns: 64 });
    await expectFailure(writeDicomFile({ ...dataset, Rows: 128 }), 'pixel-data-size-mismatch', /holds 8192 bytes .* need 16384/);
  });

  it('a multi-frame image with fewer frames in its pixel data than Number of Frames says', async () => {
    await expectFailure(writeDicomFile({ ...multiFrameGray(3), NumberOfFrames: 4 }), 'pixel-data-size-mismatch', /Frames 4 need/);
  });

  it('a compressed frame that decodes to another size than Rows × Columns', async () => {
    await expectFailure(patchUnsignedShort(jpegLossless, 0x0028, 0x0010, 64), 'pixel-data-size-mismatch', /decodes to 32768 bytes; Rows 64 × Columns 128/);
  });

  it('an unknown or undecodable transfer syntax', async () => {
    const file = writeDicomFile(ctGradient({ rows: 8, columns: 8 }));
    await expectFailure(withTransferSyntax(file, '1.2.840.10008.1.2.4.100'), 'unsupported-transfer-syntax', /1\.2\.840\.10008\.1\.2\.4\.100/);
    await expectFailure(withTransferSyntax(file, '1.3.6.1.4.1.99999.1.2'), 'unsupported-transfer-syntax', /1\.3\.6\.1\.4\.1\.99999\.1\.2/);
  });

  it('pixel attributes that cannot be rendered', async () => {
    const dataset = ctGradient({ rows: 8, columns: 8 });
    await expectFailure(writeDicomFile({ ...dataset, BitsAllocated: 12 }), 'unsupported-pixel-format', /Bits Allocated 12/);
    await expectFailure(writeDicomFile({ ...dataset, PhotometricInterpretation: 'CMYK' }), 'unsupported-pixel-format', /CMYK/);
    await expectFailure(writeDicomFile({ ...dataset, Columns: 0 }), 'unsupported-pixel-format', /Columns is 0/);
  });
});

describe('corrupt compressed data', () => {
  function corrupt(file: Uint8Array, from: number, to: number, fill: (i: number) => number): Uint8Array {
    const copy = new Uint8Array(file);
    for (let i = from; i < to; i++) {
      copy[i] = fill(i);
    }
    return copy;
  }

  it('a JPEG fragment whose header is destroyed: decode-failed with the codec message', async () => {
    const start = Buffer.from(jpegLossless).indexOf(Buffer.from([0xff, 0xd8]));
    await expectFailure(corrupt(jpegLossless, start, start + 2, () => 0), 'decode-failed', /JPEG Lossless.*Not a JPEG file/);
  });

  it('a JPEG-LS stream of zeros (the codec traps) fails cleanly and the codecs keep working', async () => {
    const jpegLs = await workspace.transcode(writeDicomFile(ctGradient({ rows: 128, columns: 128 })), 'jpeg-ls-lossless');
    const start = Buffer.from(jpegLs).indexOf(Buffer.from([0xff, 0xd8]));
    await expectFailure(corrupt(jpegLs, start, jpegLs.length - 20, () => 0), 'decode-failed', /JPEG-LS Lossless frame/);
    await expect(renderPreview(jpegLs, { maxSize: 64 })).resolves.toMatchObject({ width: 64, height: 64 });
  });

  it('an RLE frame whose segment table lies', async () => {
    const rle = await workspace.transcode(writeDicomFile(ctGradient({ rows: 32, columns: 32 })), 'rle');
    const header = Buffer.from(rle).indexOf(Buffer.from([0x02, 0, 0, 0, 0x40, 0, 0, 0]));
    await expectFailure(corrupt(rle, header, header + 1, () => 5), 'decode-failed', /RLE header lists 5 segments/);
  });
});
