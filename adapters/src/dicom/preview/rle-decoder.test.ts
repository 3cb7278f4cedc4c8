import { describe, expect, it } from 'vitest';
import { decodeRleFrame } from './rle-decoder.ts';
import { pixelModule } from './testing/pixel-module-fixture.ts';

/** An RLE frame: the 64-byte header (segment count, offsets) followed by the given segments. */
function rleFrame(...segments: number[][]): Uint8Array {
  const header = new DataView(new ArrayBuffer(64));
  header.setUint32(0, segments.length, true);
  let offset = 64;
  segments.forEach((segment, i) => {
    header.setUint32(4 + i * 4, offset, true);
    offset += segment.length;
  });
  return Uint8Array.from([...new Uint8Array(header.buffer), ...segments.flat()]);
}

describe('decodeRleFrame (PS3.5 Annex G)', () => {
  it('decodes literal runs, replicate runs and skips the no-op header 128', () => {
    const module = pixelModule({ bitsAllocated: 8, bitsStored: 8, highBit: 7, columns: 7 });
    // literal [1, 2], no-op, replicate 9 ×3, literal [4, 5]
    const frame = rleFrame([1, 1, 2, 128, 254, 9, 1, 4, 5]);
    expect(Array.from(decodeRleFrame(module, frame))).toEqual([1, 2, 9, 9, 9, 4, 5]);
  });

  it('puts the most significant byte segment last for little-endian 16-bit samples', () => {
    const module = pixelModule({ columns: 2 });
    const frame = rleFrame([1, 0x12, 0x34], [1, 0x56, 0x78]);
    expect(Array.from(new Uint16Array(decodeRleFrame(module, frame).buffer))).toEqual([0x1256, 0x3478]);
  });

  it('interleaves colour segments (R, G, B planes) into RGB triplets', () => {
    const module = pixelModule({ bitsAllocated: 8, bitsStored: 8, highBit: 7, samplesPerPixel: 3, photometricInterpretation: 'RGB', columns: 2 });
    const frame = rleFrame([255, 200], [255, 100], [1, 10, 20]);
    expect(Array.from(decodeRleFrame(module, frame))).toEqual([200, 100, 10, 200, 100, 20]);
  });

  it('reports a segment that decodes to fewer bytes than the frame has pixels', () => {
    const module = pixelModule({ bitsAllocated: 8, bitsStored: 8, highBit: 7, columns: 4 });
    expect(() => decodeRleFrame(module, rleFrame([1, 7, 8]))).toThrow(/RLE segment 1 decodes to 2 bytes; Rows 1 × Columns 4 need 4/);
  });

  it('reports offsets outside the frame', () => {
    const module = pixelModule({ bitsAllocated: 8, bitsStored: 8, highBit: 7, columns: 1 });
    const frame = rleFrame([0, 1]);
    new DataView(frame.buffer).setUint32(4, 9999, true);
    expect(() => decodeRleFrame(module, frame)).toThrow(/decode-failed: RLE segment 1 has offsets 9999/);
  });
});
