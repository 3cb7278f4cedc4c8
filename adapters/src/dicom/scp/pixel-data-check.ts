import type { NaturalizedDataset } from 'dcmjs';
import dimse from 'dcmjs-dimse';
import type { PixelDataElement } from './dataset-walker.ts';

/**
 * Does the pixel data fit the image it claims to be? An image storage SOP class needs pixel data; native
 * (uncompressed) pixel data must hold Rows × Columns × Samples × Bits Allocated × Frames. Compressed pixel
 * data cannot be measured without decoding it, which the preview worker does later.
 */

/** The image storage SOP classes dcmjs-dimse names (CT, MR, CR, DX, US, XA, SC, ...). */
const IMAGE_SOP_CLASSES = new Set(
  Object.entries(dimse.constants.StorageClass)
    .filter(([name]) => name.includes('Image'))
    .map(([, uid]) => uid as string),
);

export type PixelDataVerdict =
  | { readonly ok: true }
  /** Stored, with a warning status: the image is usable but not what its attributes say. */
  | { readonly ok: false; readonly severity: 'warning'; readonly reason: string }
  /** Refused: the image cannot be shown. */
  | { readonly ok: false; readonly severity: 'error'; readonly reason: string };

export function checkPixelData(dataset: NaturalizedDataset, sopClassUid: string, pixelData: PixelDataElement | undefined): PixelDataVerdict {
  if (!pixelData) {
    return IMAGE_SOP_CLASSES.has(sopClassUid)
      ? { ok: false, severity: 'error', reason: `no pixel data in an image (SOP class ${sopClassUid})` }
      : { ok: true };
  }
  if (pixelData.length === undefined) {
    return pixelData.fragments === 0 ? { ok: false, severity: 'error', reason: 'encapsulated pixel data without any item' } : { ok: true };
  }
  const expected = expectedNativeLength(dataset, pixelData.tag);
  if (expected === undefined) return { ok: true };
  if (pixelData.length < expected.bytes) {
    return {
      ok: false,
      severity: 'error',
      reason: `pixel data has ${pixelData.length} bytes, ${expected.description} needs ${expected.bytes}`,
    };
  }
  // One byte of padding makes an odd length even (PS3.5 8.1.1).
  if (pixelData.length > expected.bytes + 1) {
    return {
      ok: false,
      severity: 'warning',
      reason: `pixel data has ${pixelData.length} bytes, more than the ${expected.bytes} of ${expected.description}`,
    };
  }
  return { ok: true };
}

function expectedNativeLength(dataset: NaturalizedDataset, tag: string): { bytes: number; description: string } | undefined {
  const rows = whole(dataset.Rows);
  const columns = whole(dataset.Columns);
  if (rows === undefined || columns === undefined) return undefined;
  const bits = tag === '(7FE0,0008)' ? 32 : tag === '(7FE0,0009)' ? 64 : whole(dataset.BitsAllocated);
  if (bits === undefined || bits < 1) return undefined;
  const photometric = String(first(dataset.PhotometricInterpretation) ?? '').trim();
  // YBR_FULL_422 stores two samples per pixel when uncompressed (PS3.3 C.7.6.3.1.2).
  const samples = photometric === 'YBR_FULL_422' ? 2 : (whole(dataset.SamplesPerPixel) ?? 1);
  const frames = whole(dataset.NumberOfFrames) ?? 1;
  const bytes = Math.ceil((rows * columns * samples * frames * bits) / 8);
  const description = `${rows}×${columns}, ${samples} sample(s), ${bits} bits, ${frames} frame(s)`;
  return { bytes, description };
}

function whole(value: unknown): number | undefined {
  const number = Number(first(value));
  return Number.isInteger(number) && number >= 0 ? number : undefined;
}

function first(value: unknown): unknown {
  return Array.isArray(value) ? value[0] : value;
}
