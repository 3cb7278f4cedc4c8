import type { NaturalizedDataset } from 'dcmjs';

/**
 * Synthetic images for tests, built in memory (no binary fixtures in the repository). Each has a known
 * structure (a left-to-right gradient, colour ramps, distinct frames) so a test can check the rendered
 * JPEG for direction and brightness, which is what catches inversion, sign and byte-order bugs.
 */

let instanceCounter = 0;

/** A fresh UID under the 2.25 (UUID-derived) root; deterministic within a test run. */
export function testUid(): string {
  instanceCounter += 1;
  return `2.25.329800735698586629295641978511506172${String(instanceCounter).padStart(3, '0')}`;
}

function identity(sopClassUid: string, modality: string): NaturalizedDataset {
  return {
    SOPClassUID: sopClassUid,
    SOPInstanceUID: testUid(),
    StudyInstanceUID: '2.25.1111',
    SeriesInstanceUID: '2.25.1111.1',
    Modality: modality,
    PatientID: 'RM-0001',
    PatientName: [{ Alphabetic: 'Santoso^Budi' }],
  };
}

/** A repeating texture of ±11 so lossy codecs have something to keep and the image is never flat. */
function texture(x: number, y: number): number {
  return ((x * 7 + y * 13) % 23) - 11;
}

export interface CtOptions {
  readonly rows?: number;
  readonly columns?: number;
  /** Window Center 200 / Width 2000 in the object (true by default). */
  readonly window?: boolean;
  /** A few pixels at the extremes of the 16-bit range, which a plain min/max window would be ruined by. */
  readonly outliers?: boolean;
}

/**
 * A CT-like slice: signed 16-bit, stored values from -400 (left) to +2000 (right) with texture, Rescale
 * Intercept -600 (so -1000 to +1400 HU), window -800..+1200 HU. Left columns render black, right white.
 */
export function ctGradient(options: CtOptions = {}): NaturalizedDataset {
  const rows = options.rows ?? 512;
  const columns = options.columns ?? 512;
  const pixels = new Int16Array(rows * columns);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < columns; x++) {
      pixels[y * columns + x] = Math.round((x / (columns - 1)) * 2400) - 400 + texture(x, y);
    }
  }
  if (options.outliers) {
    for (let i = 0; i < 64; i++) {
      pixels[i * 997] = i % 2 === 0 ? -32768 : 32767;
    }
  }
  return {
    ...identity('1.2.840.10008.5.1.4.1.1.2', 'CT'),
    ImageType: ['ORIGINAL', 'PRIMARY', 'AXIAL'],
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    Rows: rows,
    Columns: columns,
    BitsAllocated: 16,
    BitsStored: 16,
    HighBit: 15,
    PixelRepresentation: 1,
    RescaleIntercept: -600,
    RescaleSlope: 1,
    PixelSpacing: [0.7, 0.7],
    ...(options.window === false ? {} : { WindowCenter: 200, WindowWidth: 2000 }),
    PixelData: [pixels.buffer],
    _vrMap: { PixelData: 'OW' },
  };
}

export interface CrOptions {
  readonly photometricInterpretation?: 'MONOCHROME1' | 'MONOCHROME2';
  readonly rows?: number;
  readonly columns?: number;
  readonly pixelSpacing?: [number, number];
  /** A VOI LUT Sequence that reverses the 12-bit range (and a window that would not). */
  readonly reversingVoiLut?: boolean;
}

/**
 * A CR-like image: 12 bits stored in 16, unsigned, stored values 0 (left) to 4095 (right). Bits 12–15
 * carry a pattern (as some modalities leave overlay bits there), which must be masked off.
 */
export function crGradient(options: CrOptions = {}): NaturalizedDataset {
  const rows = options.rows ?? 300;
  const columns = options.columns ?? 400;
  const pixels = new Uint16Array(rows * columns);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < columns; x++) {
      const stored = Math.min(4095, Math.max(0, Math.round((x / (columns - 1)) * 4095) + texture(x, y) * 4));
      pixels[y * columns + x] = stored | ((x + y) % 2 === 0 ? 0xa000 : 0x5000);
    }
  }
  const lut = new Uint16Array(4096).map((_, i) => 4095 - i);
  return {
    ...identity('1.2.840.10008.5.1.4.1.1.1', 'CR'),
    SamplesPerPixel: 1,
    PhotometricInterpretation: options.photometricInterpretation ?? 'MONOCHROME2',
    Rows: rows,
    Columns: columns,
    BitsAllocated: 16,
    BitsStored: 12,
    HighBit: 11,
    PixelRepresentation: 0,
    ...(options.pixelSpacing ? { PixelSpacing: options.pixelSpacing } : {}),
    WindowCenter: 2048,
    WindowWidth: 4096,
    ...(options.reversingVoiLut
      ? { VOILUTSequence: [{ LUTDescriptor: [4096, 0, 12], LUTExplanation: 'REVERSED', LUTData: lut.buffer, _vrMap: { LUTData: 'OW', LUTDescriptor: 'US' } }] }
      : {}),
    PixelData: [pixels.buffer],
    _vrMap: { PixelData: 'OW' },
  };
}

/** An ultrasound-like RGB image: red rises left to right, blue top to bottom, green fixed at 60. */
export function usRgb(options: { rows?: number; columns?: number; planar?: boolean } = {}): NaturalizedDataset {
  const rows = options.rows ?? 480;
  const columns = options.columns ?? 640;
  const pixels = new Uint8Array(rows * columns * 3);
  const plane = rows * columns;
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < columns; x++) {
      const rgb = [Math.round((x / (columns - 1)) * 255), 60, Math.round((y / (rows - 1)) * 255)];
      for (let c = 0; c < 3; c++) {
        const index = options.planar ? c * plane + y * columns + x : (y * columns + x) * 3 + c;
        pixels[index] = rgb[c];
      }
    }
  }
  return {
    ...identity('1.2.840.10008.5.1.4.1.1.6.1', 'US'),
    SamplesPerPixel: 3,
    PhotometricInterpretation: 'RGB',
    PlanarConfiguration: options.planar ? 1 : 0,
    Rows: rows,
    Columns: columns,
    BitsAllocated: 8,
    BitsStored: 8,
    HighBit: 7,
    PixelRepresentation: 0,
    PixelData: [pixels.buffer],
    _vrMap: { PixelData: 'OB' },
  };
}

/** Base brightness of frame `k` of `multiFrameGray`. */
export function multiFrameLevel(frame: number): number {
  return 20 + 50 * frame;
}

/** An 8-bit multi-frame image whose frame k is uniformly about `multiFrameLevel(k)` bright (± a small ramp). */
export function multiFrameGray(frames = 5, rows = 128, columns = 160): NaturalizedDataset {
  const pixels = new Uint8Array(frames * rows * columns);
  for (let f = 0; f < frames; f++) {
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < columns; x++) {
        pixels[f * rows * columns + y * columns + x] = multiFrameLevel(f) + Math.round((x / (columns - 1)) * 20) - 10;
      }
    }
  }
  return {
    ...identity('1.2.840.10008.5.1.4.1.1.7.2', 'OT'),
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    NumberOfFrames: frames,
    Rows: rows,
    Columns: columns,
    BitsAllocated: 8,
    BitsStored: 8,
    HighBit: 7,
    PixelRepresentation: 0,
    WindowCenter: 128,
    WindowWidth: 256,
    PixelData: [pixels.buffer],
    _vrMap: { PixelData: 'OB' },
  };
}

/** A PALETTE COLOR image: index = column (0..255); the palette runs from blue (index 0) to red (index 255). */
export function paletteColour(rows = 100): NaturalizedDataset {
  const columns = 256;
  const pixels = new Uint8Array(rows * columns).map((_, i) => i % columns);
  const red = new Uint16Array(256).map((_, i) => i * 257);
  const green = new Uint16Array(256);
  const blue = new Uint16Array(256).map((_, i) => (255 - i) * 257);
  return {
    ...identity('1.2.840.10008.5.1.4.1.1.7', 'OT'),
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'PALETTE COLOR',
    Rows: rows,
    Columns: columns,
    BitsAllocated: 8,
    BitsStored: 8,
    HighBit: 7,
    PixelRepresentation: 0,
    RedPaletteColorLookupTableDescriptor: [256, 0, 16],
    GreenPaletteColorLookupTableDescriptor: [256, 0, 16],
    BluePaletteColorLookupTableDescriptor: [256, 0, 16],
    RedPaletteColorLookupTableData: red.buffer,
    GreenPaletteColorLookupTableData: green.buffer,
    BluePaletteColorLookupTableData: blue.buffer,
    PixelData: [pixels.buffer],
    _vrMap: {
      PixelData: 'OB',
      RedPaletteColorLookupTableDescriptor: 'US',
      GreenPaletteColorLookupTableDescriptor: 'US',
      BluePaletteColorLookupTableDescriptor: 'US',
      RedPaletteColorLookupTableData: 'OW',
      GreenPaletteColorLookupTableData: 'OW',
      BluePaletteColorLookupTableData: 'OW',
    },
  };
}
