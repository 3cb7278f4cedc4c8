import type { PixelModule } from './pixel-module.ts';
import { PreviewError } from './preview-error.ts';

/**
 * RLE Lossless (PS3.5 Annex G). Written here rather than taken from the codecs: the dcmjs-imaging build in
 * use returns colour RLE frames plane by plane while telling its renderer they are interleaved, and the
 * format is short and fully specified. Output: the frame as native little-endian, interleaved samples.
 */
export function decodeRleFrame(module: PixelModule, encoded: Uint8Array): Uint8Array {
  const pixels = module.rows * module.columns;
  const bytesPerSample = module.bitsAllocated / 8;
  const expectedSegments = module.samplesPerPixel * bytesPerSample;
  if (!Number.isInteger(bytesPerSample) || encoded.length < 64) {
    throw new PreviewError('decode-failed', `RLE frame of ${encoded.length} bytes with Bits Allocated ${module.bitsAllocated}`);
  }
  const header = new DataView(encoded.buffer, encoded.byteOffset, 64);
  const segmentCount = header.getUint32(0, true);
  if (segmentCount !== expectedSegments) {
    throw new PreviewError(
      'decode-failed',
      `the RLE header lists ${segmentCount} segments; ${module.samplesPerPixel} samples of ${module.bitsAllocated} bits need ${expectedSegments}`,
    );
  }
  const offsets = Array.from({ length: segmentCount }, (_, i) => header.getUint32(4 + i * 4, true));
  const output = new Uint8Array(pixels * expectedSegments);
  for (let segment = 0; segment < segmentCount; segment++) {
    const start = offsets[segment];
    const end = segment + 1 < segmentCount ? offsets[segment + 1] : encoded.length;
    if (start < 64 || end > encoded.length || end < start) {
      throw new PreviewError('decode-failed', `RLE segment ${segment + 1} has offsets ${start}..${end} outside the ${encoded.length}-byte frame`);
    }
    // Segments run sample by sample, most significant byte first; little-endian output puts that byte last.
    const sample = Math.floor(segment / bytesPerSample);
    const byteInSample = bytesPerSample - 1 - (segment % bytesPerSample);
    const written = unpackBits(encoded, start, end, output, sample * bytesPerSample + byteInSample, expectedSegments, pixels);
    if (written < pixels) {
      throw new PreviewError(
        'pixel-data-size-mismatch',
        `RLE segment ${segment + 1} decodes to ${written} bytes; Rows ${module.rows} × Columns ${module.columns} need ${pixels}`,
      );
    }
  }
  return output;
}

/** PackBits: writes up to `count` bytes to output[first + i * stride]; returns how many it wrote. */
function unpackBits(input: Uint8Array, start: number, end: number, output: Uint8Array, first: number, stride: number, count: number): number {
  let written = 0;
  let position = start;
  while (position < end && written < count) {
    const header = input[position++];
    if (header < 128) {
      // header + 1 literal bytes
      const literal = Math.min(header + 1, end - position, count - written);
      for (let i = 0; i < literal; i++) {
        output[first + written++ * stride] = input[position++];
      }
    } else if (header > 128 && position < end) {
      // 257 - header copies of the next byte (header 128 is a no-op)
      const value = input[position++];
      const repeat = Math.min(257 - header, count - written);
      for (let i = 0; i < repeat; i++) {
        output[first + written++ * stride] = value;
      }
    }
  }
  return written;
}
