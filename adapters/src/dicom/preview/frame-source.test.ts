import { describe, expect, it } from 'vitest';
import { frameSource } from './frame-source.ts';
import { pixelModule } from './testing/pixel-module-fixture.ts';

const buffer = (...bytes: number[]) => Uint8Array.from(bytes).buffer;
const nativeBytes = (source: ReturnType<typeof frameSource>) => (source.kind === 'native' ? Array.from(source.bytes) : undefined);

describe('frameSource, native pixel data', () => {
  it('slices the requested frame', () => {
    const module = pixelModule({ columns: 1, numberOfFrames: 3, buffers: [buffer(1, 0, 2, 0, 3, 0)] });
    expect(nativeBytes(frameSource(module, 1))).toEqual([2, 0]);
  });

  it('swaps big endian samples to little endian: 16-bit words, and 8-bit samples written as OW', () => {
    const bigEndian = '1.2.840.10008.1.2.2';
    expect(nativeBytes(frameSource(pixelModule({ transferSyntaxUid: bigEndian, columns: 2, buffers: [buffer(0x12, 0x34, 0x56, 0x78)] }), 0))).toEqual([0x34, 0x12, 0x78, 0x56]);
    const eightBit = { transferSyntaxUid: bigEndian, bitsAllocated: 8, bitsStored: 8, highBit: 7, columns: 4, buffers: [buffer(1, 2, 3, 4)] };
    expect(nativeBytes(frameSource(pixelModule({ ...eightBit, wordValues: true }), 0))).toEqual([2, 1, 4, 3]);
    expect(nativeBytes(frameSource(pixelModule({ ...eightBit, wordValues: false }), 0))).toEqual([1, 2, 3, 4]);
  });

  it('never changes the pixel data it was given', () => {
    const data = buffer(0x12, 0x34);
    frameSource(pixelModule({ transferSyntaxUid: '1.2.840.10008.1.2.2', columns: 1, buffers: [data] }), 0);
    expect(Array.from(new Uint8Array(data))).toEqual([0x12, 0x34]);
  });

  it('counts native YBR_FULL_422 as two samples per pixel', () => {
    const module = pixelModule({ bitsAllocated: 8, bitsStored: 8, highBit: 7, samplesPerPixel: 3, photometricInterpretation: 'YBR_FULL_422', columns: 2, buffers: [buffer(1, 2, 3, 4)] });
    expect(nativeBytes(frameSource(module, 0))).toEqual([1, 2, 3, 4]);
  });

  it('reports pixel data too short for all frames', () => {
    const module = pixelModule({ columns: 2, numberOfFrames: 2, buffers: [buffer(1, 2, 3, 4, 5, 6)] });
    expect(() => frameSource(module, 0)).toThrow('pixel-data-size-mismatch: Pixel Data holds 6 bytes but Rows 1 × Columns 2 × Samples 1 × Bits Allocated 16 × Frames 2 need 8');
  });
});

describe('frameSource, encapsulated pixel data', () => {
  const jpeg = '1.2.840.10008.1.2.4.70';
  const soi = (...rest: number[]) => buffer(0xff, 0xd8, ...rest);

  it('takes one fragment per frame, or joins all fragments of a single frame', () => {
    expect(frameSource(pixelModule({ transferSyntaxUid: jpeg, numberOfFrames: 2, buffers: [soi(1), soi(2)] }), 1)).toEqual({ kind: 'encapsulated', encoded: Uint8Array.from([0xff, 0xd8, 2]) });
    expect(frameSource(pixelModule({ transferSyntaxUid: jpeg, buffers: [soi(1), buffer(2), buffer(3)] }), 0)).toEqual({ kind: 'encapsulated', encoded: Uint8Array.from([0xff, 0xd8, 1, 2, 3]) });
  });

  it('groups several fragments per frame by where each bitstream starts when there is no offset table', () => {
    const module = pixelModule({ transferSyntaxUid: jpeg, numberOfFrames: 2, buffers: [soi(1), buffer(2), soi(3), buffer(4), buffer(5)] });
    expect(frameSource(module, 1)).toEqual({ kind: 'encapsulated', encoded: Uint8Array.from([0xff, 0xd8, 3, 4, 5]) });
  });

  it('refuses fragments that cannot be grouped, or too few of them', () => {
    expect(() => frameSource(pixelModule({ transferSyntaxUid: jpeg, numberOfFrames: 2, buffers: [soi(1), buffer(2), buffer(3)] }), 0)).toThrow(
      'decode-failed: cannot tell which of the 3 fragments belong to frame 1 of 2 (no Basic Offset Table)',
    );
    expect(() => frameSource(pixelModule({ transferSyntaxUid: jpeg, numberOfFrames: 3, buffers: [soi(1), soi(2)] }), 0)).toThrow(
      'pixel-data-size-mismatch: the encapsulated Pixel Data has 2 fragments for 3 frames',
    );
  });
});
