import type { PixelModule } from './pixel-module.ts';
import { PreviewError } from './preview-error.ts';

/**
 * Little-endian frame bytes of a grayscale image → one stored value per pixel, with the bits outside
 * Bits Stored masked off (some modalities keep overlays there) and signed values sign-extended.
 * Float32 holds every integer up to 2^24 exactly, more than any display mapping needs.
 */
export function storedValues(module: PixelModule, bytes: Uint8Array, bitOffset = 0): Float32Array {
  const pixels = module.rows * module.columns;
  const values = new Float32Array(pixels);
  if (module.bitsAllocated === 1) {
    for (let i = 0; i < pixels; i++) {
      const bit = bitOffset + i;
      values[i] = (bytes[bit >> 3] >> (bit & 7)) & 1;
    }
    return values;
  }
  const bytesPerSample = module.bitsAllocated / 8;
  if (bytes.length < pixels * bytesPerSample) {
    throw new PreviewError(
      'pixel-data-size-mismatch',
      `the decoded frame has ${bytes.length} bytes but Rows ${module.rows} × Columns ${module.columns} × ${bytesPerSample} bytes` +
        ` need ${pixels * bytesPerSample}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (module.floatingPoint) {
    for (let i = 0; i < pixels; i++) {
      values[i] = bytesPerSample === 4 ? view.getFloat32(i * 4, true) : view.getFloat64(i * 8, true);
    }
    return values;
  }
  const shift = module.highBit + 1 - module.bitsStored;
  const signBit = 2 ** (module.bitsStored - 1);
  const range = 2 ** module.bitsStored;
  if (bytesPerSample <= 2 && module.highBit < 16) {
    // 8 and 16-bit samples (nearly every image): integer bit operations are exact here and several
    // times faster than the general loop below, which matters at hundreds of previews a second.
    const mask = range - 1;
    const offset = module.signed ? range : 0;
    for (let i = 0; i < pixels; i++) {
      const raw = bytesPerSample === 1 ? bytes[i] : bytes[2 * i] | (bytes[2 * i + 1] << 8);
      const stored = (raw >> shift) & mask;
      values[i] = stored >= signBit ? stored - offset : stored;
    }
    return values;
  }
  for (let i = 0; i < pixels; i++) {
    const raw = bytesPerSample === 1 ? bytes[i] : bytesPerSample === 2 ? view.getUint16(i * 2, true) : view.getUint32(i * 4, true);
    // Arithmetic rather than bit operators: they would turn 32-bit samples negative.
    const stored = Math.floor(raw / 2 ** shift) % range;
    values[i] = module.signed && stored >= signBit ? stored - range : stored;
  }
  return values;
}
