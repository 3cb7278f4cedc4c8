import { nativeFrameLength } from './pixel-module.ts';
import type { PixelModule } from './pixel-module.ts';
import { PreviewError } from './preview-error.ts';
import { decodeRleFrame } from './rle-decoder.ts';

/**
 * One frame's bytes: native samples in little-endian order (colour planes one after another when
 * `planar`), or the compressed bitstream of the frame. RLE frames come back decoded, as native ones.
 */
export type FrameSource =
  | { readonly kind: 'native'; readonly bytes: Uint8Array; readonly bitOffset: number; readonly planar: boolean }
  | { readonly kind: 'encapsulated'; readonly encoded: Uint8Array };

/** Picks frame `frameIndex` out of the pixel data; throws PreviewError when the data cannot hold it. */
export function frameSource(module: PixelModule, frameIndex: number): FrameSource {
  if (!module.transferSyntax.codec) {
    return nativeFrame(module, frameIndex);
  }
  const encapsulated = encapsulatedFrame(module, frameIndex);
  if (module.transferSyntax.codec === 'rle') {
    return { kind: 'native', bytes: decodeRleFrame(module, encapsulated), bitOffset: 0, planar: false };
  }
  return { kind: 'encapsulated', encoded: encapsulated };
}

function nativeFrame(module: PixelModule, frameIndex: number): FrameSource {
  const data = concatenate(module.buffers);
  if (module.bitsAllocated === 1) {
    const bitsPerFrame = module.rows * module.columns;
    requireLength(module, data.length, Math.ceil((bitsPerFrame * module.numberOfFrames) / 8));
    return { kind: 'native', bytes: data, bitOffset: bitsPerFrame * frameIndex, planar: false };
  }
  const frameLength = nativeFrameLength(module);
  requireLength(module, data.length, frameLength * module.numberOfFrames);
  const bytes = data.slice(frameIndex * frameLength, (frameIndex + 1) * frameLength);
  if (module.transferSyntax.encoding === 'explicit-big') {
    const wordSize = module.bitsAllocated === 8 ? (module.wordValues ? 2 : 1) : module.bitsAllocated / 8;
    swapBytes(bytes, wordSize);
  }
  return { kind: 'native', bytes, bitOffset: 0, planar: module.planar };
}

function requireLength(module: PixelModule, actual: number, needed: number): void {
  if (actual < needed) {
    throw new PreviewError(
      'pixel-data-size-mismatch',
      `Pixel Data holds ${actual} bytes but Rows ${module.rows} × Columns ${module.columns} × Samples ${module.samplesPerPixel}` +
        ` × Bits Allocated ${module.bitsAllocated} × Frames ${module.numberOfFrames} need ${needed}`,
    );
  }
}

function encapsulatedFrame(module: PixelModule, frameIndex: number): Uint8Array {
  const fragments = module.buffers.filter((buffer) => buffer.byteLength > 0).map((buffer) => new Uint8Array(buffer));
  const frames = module.numberOfFrames;
  // dcmjs already groups fragments into frames when the Basic Offset Table is filled in.
  if (fragments.length === frames) {
    return fragments[frameIndex];
  }
  if (frames === 1) {
    return concatenate(fragments);
  }
  if (fragments.length < frames) {
    throw new PreviewError('pixel-data-size-mismatch', `the encapsulated Pixel Data has ${fragments.length} fragments for ${frames} frames`);
  }
  // Several fragments per frame and no offset table: a frame starts where a bitstream starts.
  const starts = fragments.flatMap((fragment, index) => (startsBitstream(module, fragment) ? [index] : []));
  if (starts.length !== frames || starts[0] !== 0) {
    throw new PreviewError(
      'decode-failed',
      `cannot tell which of the ${fragments.length} fragments belong to frame ${frameIndex + 1} of ${frames} (no Basic Offset Table)`,
    );
  }
  const end = frameIndex + 1 < starts.length ? starts[frameIndex + 1] : fragments.length;
  return concatenate(fragments.slice(starts[frameIndex], end));
}

function startsBitstream(module: PixelModule, fragment: Uint8Array): boolean {
  const has = (...bytes: number[]) => bytes.every((byte, i) => fragment[i] === byte);
  switch (module.transferSyntax.codec) {
    case 'jpeg':
    case 'jpeg-ls':
      return has(0xff, 0xd8);
    case 'jpeg2000':
      return has(0xff, 0x4f, 0xff, 0x51) || has(0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20);
    case 'jpeg-xl':
      return has(0xff, 0x0a) || has(0x00, 0x00, 0x00, 0x0c, 0x4a, 0x58, 0x4c, 0x20);
    default:
      // RLE puts each frame in exactly one fragment (PS3.5 A.4.2); several per frame is malformed.
      return false;
  }
}

function concatenate(parts: readonly (ArrayBuffer | Uint8Array)[]): Uint8Array {
  if (parts.length === 1) {
    return parts[0] instanceof Uint8Array ? parts[0] : new Uint8Array(parts[0]);
  }
  const total = parts.reduce((sum, part) => sum + part.byteLength, 0);
  const joined = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    joined.set(part instanceof Uint8Array ? part : new Uint8Array(part), offset);
    offset += part.byteLength;
  }
  return joined;
}

function swapBytes(bytes: Uint8Array, wordSize: number): void {
  for (let start = 0; start + wordSize <= bytes.length; start += wordSize) {
    for (let low = start, high = start + wordSize - 1; low < high; low++, high--) {
      const byte = bytes[low];
      bytes[low] = bytes[high];
      bytes[high] = byte;
    }
  }
}
