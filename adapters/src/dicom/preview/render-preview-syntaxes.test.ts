import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDicomFile } from '../data/parse-dicom-file.ts';
import { DcmtkWorkspace } from '../data/testing/dcmtk.ts';
import type { DcmtkConversion } from '../data/testing/dcmtk.ts';
import { loadDcmjsCodecsTranscoder } from '../data/testing/dcmjs-codecs-transcode.ts';
import type { CodecTranscoderSyntax, Transcode } from '../data/testing/dcmjs-codecs-transcode.ts';
import { crGradient, ctGradient, multiFrameGray, multiFrameLevel, paletteColour, usRgb } from '../data/testing/synthetic-images.ts';
import { writeDicomFile } from '../data/write-dicom-file.ts';
import { renderPreview, renderThumbnail } from './render-preview.ts';
import { decodeJpeg } from './testing/jpeg-analysis.ts';

/** Every transfer syntax of the issue, on a 512×512 CT slice and on an RGB image, files made by dcmtk or dcmjs-codecs. */

type Variant = { readonly kind: 'native' } | { readonly kind: 'dcmtk'; readonly conversion: DcmtkConversion; readonly extra?: string[] } | { readonly kind: 'codecs'; readonly syntax: CodecTranscoderSyntax };

const CT_VARIANTS: Record<string, Variant> = {
  'Explicit VR Little Endian': { kind: 'native' },
  'Implicit VR Little Endian': { kind: 'dcmtk', conversion: 'implicit-little' },
  'Explicit VR Big Endian': { kind: 'dcmtk', conversion: 'explicit-big' },
  'Deflated Explicit VR Little Endian': { kind: 'dcmtk', conversion: 'deflated' },
  'JPEG Baseline': { kind: 'dcmtk', conversion: 'jpeg-baseline' },
  'JPEG Extended (12-bit)': { kind: 'dcmtk', conversion: 'jpeg-extended' },
  'JPEG Lossless Process 14': { kind: 'dcmtk', conversion: 'jpeg-lossless-process14' },
  'JPEG Lossless SV1': { kind: 'dcmtk', conversion: 'jpeg-lossless-sv1' },
  'JPEG-LS Lossless': { kind: 'dcmtk', conversion: 'jpeg-ls-lossless' },
  'RLE Lossless': { kind: 'dcmtk', conversion: 'rle' },
  'JPEG 2000 Lossless': { kind: 'codecs', syntax: 'jpeg2000-lossless' },
  'JPEG 2000 (lossy)': { kind: 'codecs', syntax: 'jpeg2000' },
  'HTJ2K Lossless': { kind: 'codecs', syntax: 'htj2k-lossless' },
  'JPEG XL Lossless': { kind: 'codecs', syntax: 'jpeg-xl-lossless' },
};

const RGB_VARIANTS: Record<string, Variant> = {
  'Explicit VR Little Endian': { kind: 'native' },
  'Explicit VR Big Endian': { kind: 'dcmtk', conversion: 'explicit-big' },
  'JPEG Baseline (YBR_FULL_422)': { kind: 'dcmtk', conversion: 'jpeg-baseline' },
  'JPEG Lossless SV1': { kind: 'dcmtk', conversion: 'jpeg-lossless-sv1' },
  'JPEG-LS Lossless': { kind: 'dcmtk', conversion: 'jpeg-ls-lossless' },
  'RLE Lossless': { kind: 'dcmtk', conversion: 'rle' },
  'JPEG 2000 Lossless': { kind: 'codecs', syntax: 'jpeg2000-lossless' },
};

let workspace: DcmtkWorkspace;
let transcode: Transcode | undefined;
let codecsUnavailable = '';
const timings: { syntax: string; parseMs: number; renderMs: number }[] = [];

async function make(base: Uint8Array, variant: Variant): Promise<Uint8Array | undefined> {
  switch (variant.kind) {
    case 'native':
      return base;
    case 'dcmtk':
      return workspace.transcode(base, variant.conversion, variant.extra);
    case 'codecs':
      return transcode?.(base, variant.syntax);
  }
}

beforeAll(async () => {
  workspace = await DcmtkWorkspace.create();
  const loaded = await loadDcmjsCodecsTranscoder();
  if ('transcode' in loaded) {
    transcode = loaded.transcode;
  } else {
    codecsUnavailable = loaded.unavailable;
  }
});

afterAll(async () => {
  await workspace?.dispose();
  if (timings.length > 0) {
    console.info(
      'Preview render time of a 512×512 CT slice (decode + display pipeline + JPEG), median of 7:\n' +
        timings.map((t) => `  ${t.syntax.padEnd(36)} parse ${t.parseMs.toFixed(1).padStart(5)} ms   render ${t.renderMs.toFixed(1).padStart(6)} ms`).join('\n'),
    );
  }
});

describe('a 512×512 16-bit CT slice with rescale and window', () => {
  const ct = writeDicomFile(ctGradient());

  it.each(Object.entries(CT_VARIANTS))('renders from %s', async (name, variant) => {
    const file = await make(ct, variant);
    if (!file) {
      console.warn(`skipped ${name}: ${codecsUnavailable}`);
      return;
    }
    const preview = await renderPreview(file, { maxSize: 1024 });
    const image = await decodeJpeg(preview.jpeg);
    expect({ width: image.width, height: image.height, channels: image.channels, frame: preview.frame }).toEqual({ width: 512, height: 512, channels: 1, frame: 0 });
    expect(image.standardDeviation()).toBeGreaterThan(40);
    // Stored -400..2000, intercept -600, window -800..1200 HU: black on the left, white on the right.
    expect(image.columnBandMean(0, 0.05)).toBeLessThan(20);
    expect(image.columnBandMean(0.45, 0.55)).toBeGreaterThan(90);
    expect(image.columnBandMean(0.45, 0.55)).toBeLessThan(165);
    expect(image.columnBandMean(0.95, 1)).toBeGreaterThan(235);

    const parseStart = performance.now();
    const parsed = parseDicomFile(file);
    const parseMs = performance.now() - parseStart;
    const runs: number[] = [];
    for (let i = 0; i < 7; i++) {
      const start = performance.now();
      await renderPreview(parsed, { maxSize: 1024 });
      runs.push(performance.now() - start);
    }
    runs.sort((a, b) => a - b);
    timings.push({ syntax: name, parseMs, renderMs: runs[3] });
    expect(runs[3]).toBeLessThan(1000);
  });

  it('makes a thumbnail of 256 pixels', async () => {
    const thumbnail = await renderThumbnail(ct);
    const image = await decodeJpeg(thumbnail.jpeg);
    expect([image.width, image.height]).toEqual([256, 256]);
    expect(image.columnBandMean(0.95, 1)).toBeGreaterThan(image.columnBandMean(0, 0.05) + 200);
  });
});

describe('an RGB ultrasound image (red rises to the right, blue downwards, green 60)', () => {
  it.each(Object.entries(RGB_VARIANTS))('renders from %s', async (name, variant) => {
    const file = await make(writeDicomFile(usRgb()), variant);
    if (!file) {
      console.warn(`skipped ${name}: ${codecsUnavailable}`);
      return;
    }
    const image = await decodeJpeg((await renderPreview(file, { maxSize: 1024 })).jpeg);
    expect([image.width, image.height, image.channels]).toEqual([640, 480, 3]);
    expect(image.columnBandMean(0.95, 1, 0) - image.columnBandMean(0, 0.05, 0)).toBeGreaterThan(200);
    expect(image.rowBandMean(0.95, 1, 2) - image.rowBandMean(0, 0.05, 2)).toBeGreaterThan(200);
    expect(Math.abs(image.mean(1) - 60)).toBeLessThan(12);
  });

  it('renders planar (RRR…GGG…BBB…) pixel data the same as interleaved', async () => {
    const interleaved = await decodeJpeg((await renderPreview(writeDicomFile(usRgb()), { maxSize: 320 })).jpeg);
    const planar = await decodeJpeg((await renderPreview(writeDicomFile(usRgb({ planar: true })), { maxSize: 320 })).jpeg);
    for (const channel of [0, 1, 2]) {
      expect(Math.abs(planar.mean(channel) - interleaved.mean(channel))).toBeLessThan(1);
    }
    expect(planar.columnBandMean(0.9, 1, 0)).toBeGreaterThan(200);
  });
});

describe('a PALETTE COLOR image (blue on the left to red on the right)', () => {
  it.each([['native', { kind: 'native' }] as const, ['RLE Lossless', { kind: 'dcmtk', conversion: 'rle' }] as const])('renders from %s', async (_name, variant) => {
    const file = await make(writeDicomFile(paletteColour()), variant);
    const image = await decodeJpeg((await renderPreview(file!, { maxSize: 1024 })).jpeg);
    expect([image.width, image.height, image.channels]).toEqual([256, 100, 3]);
    expect(image.columnBandMean(0, 0.05, 2)).toBeGreaterThan(235);
    expect(image.columnBandMean(0, 0.05, 0)).toBeLessThan(20);
    expect(image.columnBandMean(0.95, 1, 0)).toBeGreaterThan(235);
    expect(image.columnBandMean(0.95, 1, 2)).toBeLessThan(20);
  });
});

describe('a multi-frame image shows its middle frame', () => {
  const frames = 5;
  const variants: [string, Variant][] = [
    ['native', { kind: 'native' }],
    ['RLE, one fragment per frame', { kind: 'dcmtk', conversion: 'rle' }],
    ['JPEG Lossless with an offset table and 1 KB fragments', { kind: 'dcmtk', conversion: 'jpeg-lossless-sv1', extra: ['+fs', '1'] }],
    ['JPEG Lossless without an offset table, 1 KB fragments', { kind: 'dcmtk', conversion: 'jpeg-lossless-sv1', extra: ['+fs', '1', '-ot'] }],
    ['JPEG-LS without an offset table, 1 KB fragments', { kind: 'dcmtk', conversion: 'jpeg-ls-lossless', extra: ['+fs', '1', '-ot'] }],
  ];

  it.each(variants)('%s', async (_name, variant) => {
    const file = await make(writeDicomFile(multiFrameGray(frames)), variant);
    const preview = await renderPreview(file!, { maxSize: 1024 });
    const image = await decodeJpeg(preview.jpeg);
    expect(preview.frame).toBe(2);
    expect([image.width, image.height]).toEqual([160, 128]);
    // Window 128/256 is close to identity: the mean tells which frame this is (frames are 50 apart).
    expect(Math.abs(image.mean() - multiFrameLevel(2))).toBeLessThan(8);
    expect(image.standardDeviation()).toBeGreaterThan(3);
  });
});

describe('JPEG-LS near-lossless', () => {
  it('renders an unsigned 12-bit CR (dcmtk encodes near-lossless only for unsigned data)', async () => {
    const file = await workspace.transcode(writeDicomFile(crGradient()), 'jpeg-ls-near-lossless');
    expect(parseDicomFile(file).transferSyntaxUid).toBe('1.2.840.10008.1.2.4.81');
    const image = await decodeJpeg((await renderPreview(file, { maxSize: 1024 })).jpeg);
    expect(image.columnBandMean(0, 0.05)).toBeLessThan(25);
    expect(image.columnBandMean(0.95, 1)).toBeGreaterThan(230);
  });
});
