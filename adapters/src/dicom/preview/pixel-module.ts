import type { NaturalizedDataset } from 'dcmjs';
import { describeTransferSyntax } from '../data/transfer-syntaxes.ts';
import type { TransferSyntaxInfo } from '../data/transfer-syntaxes.ts';
import { PreviewError } from './preview-error.ts';

export const GRAYSCALE_INTERPRETATIONS = ['MONOCHROME1', 'MONOCHROME2'] as const;
const COLOUR_INTERPRETATIONS = ['RGB', 'YBR_FULL', 'YBR_FULL_422', 'YBR_PARTIAL_422', 'YBR_PARTIAL_420', 'YBR_ICT', 'YBR_RCT'];

/** The Image Pixel module attributes that decide how to read one frame, checked. */
export interface PixelModule {
  readonly transferSyntax: TransferSyntaxInfo;
  readonly rows: number;
  readonly columns: number;
  readonly samplesPerPixel: number;
  readonly bitsAllocated: number;
  readonly bitsStored: number;
  readonly highBit: number;
  readonly signed: boolean;
  /** Colour planes one after another (1) rather than interleaved (0). */
  readonly planar: boolean;
  readonly photometricInterpretation: string;
  readonly numberOfFrames: number;
  /** Float Pixel Data (7FE0,0008) or Double Float Pixel Data (7FE0,0009) rather than Pixel Data. */
  readonly floatingPoint: boolean;
  /** The pixel data value as dcmjs returns it: one buffer (native) or one per frame or fragment (encapsulated). */
  readonly buffers: readonly ArrayBuffer[];
  /** Pixel Data written as OW (16-bit words): matters for 8-bit samples in the big endian syntax. */
  readonly wordValues: boolean;
}

/** Reads and checks the pixel attributes; throws PreviewError with the reason when nothing can be rendered. */
export function readPixelModule(dataset: NaturalizedDataset, transferSyntaxUid: string): PixelModule {
  const { buffers, keyword } = pixelDataOf(dataset);
  const floatingPoint = keyword !== 'PixelData';
  const transferSyntax = describeTransferSyntax(transferSyntaxUid);
  if (!transferSyntax) {
    throw new PreviewError('unsupported-transfer-syntax', `no decoder for transfer syntax ${transferSyntaxUid}`);
  }
  const rows = positiveInteger(dataset, 'Rows');
  const columns = positiveInteger(dataset, 'Columns');
  const samplesPerPixel = positiveInteger(dataset, 'SamplesPerPixel', 1);
  const bitsAllocated = positiveInteger(dataset, 'BitsAllocated');
  const bitsStored = positiveInteger(dataset, 'BitsStored', bitsAllocated);
  const highBit = integerOf(dataset.HighBit) ?? bitsStored - 1;
  const numberOfFrames = positiveInteger(dataset, 'NumberOfFrames', 1);
  if (![1, 8, 16, 32, 64].includes(bitsAllocated) || bitsStored > bitsAllocated || highBit >= bitsAllocated || highBit < bitsStored - 1) {
    throw new PreviewError(
      'unsupported-pixel-format',
      `cannot render Bits Allocated ${bitsAllocated}, Bits Stored ${bitsStored}, High Bit ${highBit}`,
    );
  }
  const photometricInterpretation = photometricOf(dataset, samplesPerPixel);
  const grayscale = (GRAYSCALE_INTERPRETATIONS as readonly string[]).includes(photometricInterpretation);
  const validGrayscale = grayscale && samplesPerPixel === 1;
  const validPalette = photometricInterpretation === 'PALETTE COLOR' && samplesPerPixel === 1 && bitsAllocated <= 16;
  const validColour = COLOUR_INTERPRETATIONS.includes(photometricInterpretation) && samplesPerPixel === 3 && bitsAllocated === 8;
  if (!validGrayscale && !validPalette && !validColour) {
    throw new PreviewError(
      'unsupported-pixel-format',
      `cannot render Photometric Interpretation ${photometricInterpretation} with ${samplesPerPixel} samples of ${bitsAllocated} bits`,
    );
  }
  const expectedBits = { PixelData: bitsAllocated === 64 ? undefined : bitsAllocated, FloatPixelData: 32, DoubleFloatPixelData: 64 }[keyword];
  if (expectedBits !== bitsAllocated || (floatingPoint && !grayscale)) {
    throw new PreviewError('unsupported-pixel-format', `${keyword} with Bits Allocated ${bitsAllocated} and ${photometricInterpretation}`);
  }
  return {
    transferSyntax,
    rows,
    columns,
    samplesPerPixel,
    bitsAllocated,
    bitsStored,
    highBit,
    signed: integerOf(dataset.PixelRepresentation) === 1,
    planar: integerOf(dataset.PlanarConfiguration) === 1,
    photometricInterpretation,
    numberOfFrames,
    floatingPoint,
    buffers,
    wordValues: (dataset._vrMap as Record<string, string> | undefined)?.[keyword] === 'OW',
  };
}

export function isGrayscale(module: PixelModule): boolean {
  return (GRAYSCALE_INTERPRETATIONS as readonly string[]).includes(module.photometricInterpretation);
}

/** Bytes one native frame occupies (0 for single-bit frames, which are not byte aligned; see `frameBits`). */
export function nativeFrameLength(module: PixelModule): number {
  if (module.bitsAllocated === 1) {
    return 0;
  }
  const pixels = module.rows * module.columns;
  // Native YBR_FULL_422 keeps two luminance and two chrominance samples per pair of pixels (PS3.3 C.7.6.3.1.2).
  const samples = module.photometricInterpretation === 'YBR_FULL_422' ? 2 : module.samplesPerPixel;
  return pixels * samples * (module.bitsAllocated / 8);
}

type PixelDataKeyword = 'PixelData' | 'FloatPixelData' | 'DoubleFloatPixelData';

function pixelDataOf(dataset: NaturalizedDataset): { buffers: ArrayBuffer[]; keyword: PixelDataKeyword } {
  for (const keyword of ['PixelData', 'FloatPixelData', 'DoubleFloatPixelData'] as const) {
    const value = dataset[keyword];
    const buffers = (Array.isArray(value) ? value : [value]).filter((item): item is ArrayBuffer => item instanceof ArrayBuffer);
    if (buffers.some((buffer) => buffer.byteLength > 0)) {
      return { buffers, keyword };
    }
  }
  throw new PreviewError('no-pixel-data', 'the object has no Pixel Data (7FE0,0010), or it is empty');
}

function photometricOf(dataset: NaturalizedDataset, samplesPerPixel: number): string {
  const value = Array.isArray(dataset.PhotometricInterpretation) ? dataset.PhotometricInterpretation[0] : dataset.PhotometricInterpretation;
  const text = typeof value === 'string' ? value.replace(/[^ -~]/g, '').trim().toUpperCase() : '';
  if (text) {
    return text;
  }
  // Absent in some old objects: the only reading that makes sense for the sample count.
  return samplesPerPixel === 3 ? 'RGB' : 'MONOCHROME2';
}

function integerOf(value: unknown): number | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  const number = typeof first === 'number' ? first : typeof first === 'string' && first.trim() !== '' ? Number(first) : NaN;
  return Number.isInteger(number) ? number : undefined;
}

function positiveInteger(dataset: NaturalizedDataset, keyword: string, fallback?: number): number {
  const value = integerOf(dataset[keyword]) ?? fallback;
  if (value === undefined || value < 1) {
    throw new PreviewError('unsupported-pixel-format', `${keyword} is ${value === undefined ? 'missing' : value}`);
  }
  return value;
}
