import type { NaturalizedDataset } from 'dcmjs';

/** Pixel spacings further apart than this are taken as a data error and ignored. */
const MAX_PIXEL_ASPECT = 16;

/**
 * The size to draw the image at: the longest side at most `maxSize` (never enlarged), and the physical
 * aspect ratio kept when pixels are not square (Pixel Spacing, Imager Pixel Spacing or Pixel Aspect Ratio).
 */
export function displaySize(dataset: NaturalizedDataset, columns: number, rows: number, maxSize: number): { width: number; height: number } {
  const { rowSpacing, columnSpacing } = pixelSpacing(dataset);
  const smallest = Math.min(rowSpacing, columnSpacing);
  const naturalWidth = columns * (columnSpacing / smallest);
  const naturalHeight = rows * (rowSpacing / smallest);
  const scale = Math.min(1, maxSize / Math.max(naturalWidth, naturalHeight));
  return {
    width: Math.max(1, Math.round(naturalWidth * scale)),
    height: Math.max(1, Math.round(naturalHeight * scale)),
  };
}

function pixelSpacing(dataset: NaturalizedDataset): { rowSpacing: number; columnSpacing: number } {
  // Pixel Spacing is "row spacing \ column spacing"; Pixel Aspect Ratio is "vertical \ horizontal".
  for (const keyword of ['PixelSpacing', 'ImagerPixelSpacing', 'PixelAspectRatio']) {
    const pair = pairOf(dataset[keyword]);
    if (pair && Math.max(pair[0], pair[1]) / Math.min(pair[0], pair[1]) <= MAX_PIXEL_ASPECT) {
      return { rowSpacing: pair[0], columnSpacing: pair[1] };
    }
  }
  return { rowSpacing: 1, columnSpacing: 1 };
}

function pairOf(value: unknown): [number, number] | undefined {
  const numbers = (Array.isArray(value) ? value : typeof value === 'string' ? value.split('\\') : []).map(Number);
  return numbers.length === 2 && numbers.every((n) => Number.isFinite(n) && n > 0) ? [numbers[0], numbers[1]] : undefined;
}
