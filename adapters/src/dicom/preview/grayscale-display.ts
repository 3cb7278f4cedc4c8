import type { NaturalizedDataset } from 'dcmjs';
import type { PixelModule } from './pixel-module.ts';

/**
 * The grayscale display pipeline of PS3.4 N.2 for one frame: stored value → modality value (Rescale
 * Slope/Intercept, or a Modality LUT) → VOI (a VOI LUT when present, else the first window, else a
 * window over the 0.5th–99.5th percentile of the frame) → 8-bit display value, inverted for MONOCHROME1.
 */

/** A lookup table from a Modality or VOI LUT Sequence item. */
export interface LookupTable {
  readonly firstMapped: number;
  readonly entries: Float32Array;
  /** Output bits: entries range over 0 .. 2^bits - 1. */
  readonly bits: number;
}

export type VoiTransform =
  | { readonly kind: 'lut'; readonly lut: LookupTable }
  | { readonly kind: 'window'; readonly center: number; readonly width: number; readonly fn: 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID' }
  | { readonly kind: 'robust-range' };

export interface GrayscaleDisplay {
  readonly slope: number;
  readonly intercept: number;
  readonly modalityLut?: LookupTable;
  readonly voi: VoiTransform;
  readonly invert: boolean;
  /** Stored values that mark padding (Pixel Padding Value .. Range Limit): left out of the robust range. */
  readonly padding?: { readonly from: number; readonly to: number };
}

/** Share of pixels ignored at each end when no window is given, so a few extreme pixels do not flatten the image. */
const ROBUST_TAIL = 0.005;
const ROBUST_SAMPLES = 65_536;

/** Reads the display attributes; `notes` collects what was present but unusable (and so ignored). */
export function readGrayscaleDisplay(dataset: NaturalizedDataset, module: PixelModule, notes: string[]): GrayscaleDisplay {
  const slope = numberOf(dataset.RescaleSlope) ?? 1;
  const intercept = numberOf(dataset.RescaleIntercept) ?? 0;
  const bigEndian = module.transferSyntax.encoding === 'explicit-big';
  const modalityLut = lutOf(dataset.ModalityLUTSequence, 'Modality LUT Sequence', module.signed, bigEndian, notes);
  const voiLut = lutOf(dataset.VOILUTSequence, 'VOI LUT Sequence', module.signed || intercept < 0, bigEndian, notes);
  const paddingValue = numberOf(dataset.PixelPaddingValue);
  const paddingLimit = numberOf(dataset.PixelPaddingRangeLimit);
  const asStored = (value: number) => (module.signed && value >= 2 ** 15 ? value - 2 ** 16 : value);
  return {
    slope: slope === 0 ? 1 : slope,
    intercept,
    ...(modalityLut ? { modalityLut } : {}),
    voi: voiLut ? { kind: 'lut', lut: voiLut } : windowOf(dataset, notes),
    invert: module.photometricInterpretation === 'MONOCHROME1',
    ...(paddingValue === undefined
      ? {}
      : {
          padding: {
            from: Math.min(asStored(paddingValue), asStored(paddingLimit ?? paddingValue)),
            to: Math.max(asStored(paddingValue), asStored(paddingLimit ?? paddingValue)),
          },
        }),
  };
}

/** Maps stored values to 8-bit display values. */
export function toDisplayValues(stored: Float32Array, display: GrayscaleDisplay): Uint8Array {
  const modality = new Float32Array(stored.length);
  for (let i = 0; i < stored.length; i++) {
    modality[i] = display.modalityLut ? lookUp(display.modalityLut, stored[i]) : stored[i] * display.slope + display.intercept;
  }
  const voi = display.voi.kind === 'robust-range' ? robustWindow(stored, modality, display.padding) : display.voi;
  const output = new Uint8Array(stored.length);
  for (let i = 0; i < stored.length; i++) {
    const level = voiLevel(voi, modality[i]);
    const value = Math.round(level * 255);
    output[i] = display.invert ? 255 - value : value;
  }
  return output;
}

/** VOI output scaled to 0..1. */
function voiLevel(voi: FixedVoi, x: number): number {
  if (voi.kind === 'lut') {
    return lookUp(voi.lut, x) / (2 ** voi.lut.bits - 1);
  }
  const { center: c, width: w } = voi;
  switch (voi.fn) {
    case 'SIGMOID':
      return 1 / (1 + Math.exp((-4 * (x - c)) / w));
    case 'LINEAR_EXACT':
      return clamp01((x - c) / w + 0.5);
    default:
      // PS3.3 C.11.2.1.2.1: the window covers [c - 0.5 - (w-1)/2, c - 0.5 + (w-1)/2].
      if (w <= 1) {
        return x <= c - 0.5 ? 0 : 1;
      }
      return clamp01((x - (c - 0.5)) / (w - 1) + 0.5);
  }
}

type FixedVoi = Exclude<VoiTransform, { kind: 'robust-range' }>;

function robustWindow(stored: Float32Array, modality: Float32Array, padding: GrayscaleDisplay['padding']): FixedVoi {
  const stride = Math.max(1, Math.floor(modality.length / ROBUST_SAMPLES));
  const samples: number[] = [];
  for (let i = 0; i < modality.length; i += stride) {
    if (!padding || stored[i] < padding.from || stored[i] > padding.to) {
      samples.push(modality[i]);
    }
  }
  if (samples.length === 0) {
    return { kind: 'window', center: 0, width: 1, fn: 'LINEAR_EXACT' };
  }
  const sorted = Float64Array.from(samples).sort();
  const at = (fraction: number) => sorted[Math.min(sorted.length - 1, Math.floor(fraction * (sorted.length - 1)))];
  let low = at(ROBUST_TAIL);
  let high = at(1 - ROBUST_TAIL);
  if (high <= low) {
    low = sorted[0];
    high = sorted[sorted.length - 1];
  }
  const width = Math.max(high - low, Number.EPSILON);
  return { kind: 'window', center: low + width / 2, width, fn: 'LINEAR_EXACT' };
}

function lookUp(lut: LookupTable, x: number): number {
  const index = Math.round(x) - lut.firstMapped;
  return lut.entries[index < 0 ? 0 : index >= lut.entries.length ? lut.entries.length - 1 : index];
}

function windowOf(dataset: NaturalizedDataset, notes: string[]): VoiTransform {
  const center = numberOf(dataset.WindowCenter);
  const width = numberOf(dataset.WindowWidth);
  if (center === undefined && width === undefined) {
    return { kind: 'robust-range' };
  }
  if (center === undefined || width === undefined || !(width > 0)) {
    notes.push(`ignored Window Center ${String(center)} / Width ${String(width)}: a window needs both and a positive width`);
    return { kind: 'robust-range' };
  }
  const name = textOf(dataset.VOILUTFunction)?.toUpperCase();
  const fn = name === 'SIGMOID' || name === 'LINEAR_EXACT' ? name : 'LINEAR';
  return { kind: 'window', center, width, fn };
}

function lutOf(sequence: unknown, label: string, signedInput: boolean, bigEndian: boolean, notes: string[]): LookupTable | undefined {
  const item = Array.isArray(sequence) ? (sequence[0] as NaturalizedDataset | undefined) : undefined;
  if (!item) {
    return undefined;
  }
  const descriptor = (Array.isArray(item.LUTDescriptor) ? item.LUTDescriptor : []).map(Number);
  if (descriptor.length !== 3 || descriptor.some((value) => !Number.isFinite(value))) {
    notes.push(`ignored the ${label}: LUT Descriptor ${JSON.stringify(item.LUTDescriptor)} is not three numbers`);
    return undefined;
  }
  const count = descriptor[0] === 0 ? 65_536 : descriptor[0];
  // The first mapped value is US or SS depending on the input; read as US, a negative one arrives ≥ 32768.
  const firstMapped = signedInput && descriptor[1] >= 2 ** 15 ? descriptor[1] - 2 ** 16 : descriptor[1];
  const entries = lutEntries(item.LUTData, count, descriptor[2], bigEndian);
  if (!entries || entries.length < count) {
    notes.push(`ignored the ${label}: LUT Data has ${entries?.length ?? 0} entries, the descriptor says ${count}`);
    return undefined;
  }
  let bits = Math.min(16, Math.max(1, descriptor[2]));
  const largest = entries.reduce((max, value) => (value > max ? value : max), 0);
  // Some writers declare fewer bits than their entries use; trust the entries.
  while (largest > 2 ** bits - 1 && bits < 16) {
    bits++;
  }
  return { firstMapped, entries: entries.subarray(0, count), bits };
}

function lutEntries(data: unknown, count: number, bits: number, bigEndian: boolean): Float32Array | undefined {
  const values = Array.isArray(data) ? data : [data];
  if (values.every((value) => typeof value === 'number')) {
    return Float32Array.from(values as number[]);
  }
  const buffer = values.find((value): value is ArrayBuffer => value instanceof ArrayBuffer);
  if (!buffer) {
    return undefined;
  }
  if (bits <= 8 && buffer.byteLength === count) {
    // Some writers pack 8-bit entries one per byte instead of one per 16-bit word.
    return Float32Array.from(new Uint8Array(buffer));
  }
  const view = new DataView(buffer);
  const entries = new Float32Array(Math.floor(buffer.byteLength / 2));
  for (let i = 0; i < entries.length; i++) {
    entries[i] = view.getUint16(i * 2, !bigEndian);
  }
  return entries;
}

function numberOf(value: unknown): number | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  const number = typeof first === 'number' ? first : typeof first === 'string' && first.trim() !== '' ? Number(first) : NaN;
  return Number.isFinite(number) ? number : undefined;
}

function textOf(value: unknown): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first.trim() : undefined;
}

function clamp01(value: number): number {
  return value < 0 ? 0 : value > 1 ? 1 : value;
}
