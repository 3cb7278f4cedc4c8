import sharp from 'sharp';
import { DicomParseError } from '../data/dicom-parse-error.ts';
import { parseDicomFile } from '../data/parse-dicom-file.ts';
import type { ParsedDicom } from '../data/parse-dicom-file.ts';
import { decodeCompressedFrame, initializeCodecs } from './codecs.ts';
import type { FrameDescription } from './codecs.ts';
import { renderColourFrame } from './colour-frame.ts';
import { displaySize } from './display-size.ts';
import { frameSource } from './frame-source.ts';
import type { FrameSource } from './frame-source.ts';
import { readGrayscaleDisplay, toDisplayValues } from './grayscale-display.ts';
import { isGrayscale, nativeFrameLength, readPixelModule } from './pixel-module.ts';
import type { PixelModule } from './pixel-module.ts';
import { PreviewError } from './preview-error.ts';
import { storedValues } from './stored-values.ts';

export interface PreviewOptions {
  /** Longest side of the JPEG in pixels; smaller images are not enlarged. */
  readonly maxSize: number;
  /** JPEG quality, 1–100 (default 85). */
  readonly quality?: number;
}

export interface PreviewImage {
  readonly jpeg: Buffer;
  readonly width: number;
  readonly height: number;
  /** Zero-based index of the frame shown: the middle one of a multi-frame image. */
  readonly frame: number;
  /** Attributes that were present but unusable and were ignored (a VOI LUT with too few entries...). */
  readonly notes: readonly string[];
}

export const PREVIEW_MAX_SIZE = 1024;
export const THUMBNAIL_MAX_SIZE = 256;
const DEFAULT_QUALITY = 85;

/**
 * Renders the middle frame of a DICOM image as a JPEG: decodes any supported transfer syntax, applies
 * the grayscale display pipeline (rescale, VOI LUT or window or robust range, MONOCHROME1 inversion) or
 * the colour conversion, and scales to fit `maxSize` with the physical aspect ratio. Throws PreviewError.
 * CPU-bound for tens of milliseconds: run it off the C-STORE path.
 */
export async function renderPreview(input: Uint8Array | ParsedDicom, options: PreviewOptions): Promise<PreviewImage> {
  if (!Number.isInteger(options.maxSize) || options.maxSize < 1) {
    throw new RangeError(`maxSize must be a positive integer, got ${options.maxSize}`);
  }
  const quality = options.quality ?? DEFAULT_QUALITY;
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) {
    throw new RangeError(`quality must be an integer from 1 to 100, got ${quality}`);
  }
  const parsed = input instanceof Uint8Array ? parseOrExplain(input) : input;
  const module = readPixelModule(parsed.dataset, parsed.transferSyntaxUid);
  const frame = Math.floor(module.numberOfFrames / 2);
  const source = frameSource(module, frame);
  if (source.kind === 'encapsulated' || !isGrayscale(module)) {
    await initializeCodecs();
  }
  const notes: string[] = [];
  const { pixels, channels } = isGrayscale(module)
    ? { pixels: toDisplayValues(grayscaleStoredValues(module, source), readGrayscaleDisplay(parsed.dataset, module, notes)), channels: 1 as const }
    : { pixels: renderColourFrame(parsed.dataset, module, source), channels: 3 as const };
  const { width, height } = displaySize(parsed.dataset, module.columns, module.rows, options.maxSize);
  const image = sharp(pixels, { raw: { width: module.columns, height: module.rows, channels } }).resize(width, height, {
    fit: 'fill',
    kernel: 'lanczos3',
  });
  // A single-channel JPEG for grayscale: a third of the colour one's pixel data, same look.
  const jpeg = await (channels === 1 ? image.toColourspace('b-w') : image).jpeg({ quality }).toBuffer();
  return { jpeg, width, height, frame, notes };
}

/** The per-series thumbnail: the same rendering at 256 pixels on the longest side. */
export function renderThumbnail(input: Uint8Array | ParsedDicom, options: { quality?: number } = {}): Promise<PreviewImage> {
  return renderPreview(input, { maxSize: THUMBNAIL_MAX_SIZE, quality: options.quality ?? 80 });
}

function parseOrExplain(bytes: Uint8Array): ParsedDicom {
  try {
    return parseDicomFile(bytes);
  } catch (error) {
    if (error instanceof DicomParseError) {
      throw new PreviewError('invalid-dicom', error.message, { cause: error });
    }
    throw error;
  }
}

function grayscaleStoredValues(module: PixelModule, source: FrameSource): Float32Array {
  if (source.kind === 'native') {
    return storedValues(module, source.bytes, source.bitOffset);
  }
  const codec = module.transferSyntax.codec;
  if (!codec) {
    throw new PreviewError('unsupported-transfer-syntax', `${module.transferSyntax.name} has no codec for encapsulated frames`);
  }
  let decoded: Uint8Array;
  try {
    decoded = decodeCompressedFrame(codec, describeFrame(module), source.encoded);
  } catch (error) {
    // A WebAssembly trap ("unreachable") is how CharLS reports some corrupt streams.
    const detail = (error as Error).name === 'RuntimeError' ? `the codec aborted (${(error as Error).message})` : (error as Error).message;
    throw new PreviewError('decode-failed', `${module.transferSyntax.name} frame: ${detail}`, { cause: error });
  }
  const expected = nativeFrameLength(module);
  if (decoded.length !== expected) {
    throw new PreviewError(
      'pixel-data-size-mismatch',
      `the ${module.transferSyntax.name} frame decodes to ${decoded.length} bytes; ` +
        `Rows ${module.rows} × Columns ${module.columns} × Bits Allocated ${module.bitsAllocated} need ${expected}`,
    );
  }
  return storedValues(module, decoded);
}

function describeFrame(module: PixelModule): FrameDescription {
  return {
    getWidth: () => module.columns,
    getHeight: () => module.rows,
    getBitsAllocated: () => module.bitsAllocated,
    getBitsStored: () => module.bitsStored,
    getSamplesPerPixel: () => module.samplesPerPixel,
    getPixelRepresentation: () => (module.signed ? 1 : 0),
    getPlanarConfiguration: () => (module.planar ? 1 : 0),
    getPhotometricInterpretation: () => module.photometricInterpretation,
  };
}
