import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DcmtkWorkspace } from '../data/testing/dcmtk.ts';
import { crGradient, ctGradient } from '../data/testing/synthetic-images.ts';
import { writeDicomFile } from '../data/write-dicom-file.ts';
import { initializeCodecs } from './codecs.ts';
import { renderPreview, renderThumbnail } from './render-preview.ts';
import { decodeJpeg } from './testing/jpeg-analysis.ts';

/** The grayscale display pipeline and the output geometry, checked on the rendered JPEG. */

let workspace: DcmtkWorkspace;

beforeAll(async () => {
  workspace = await DcmtkWorkspace.create();
});

afterAll(async () => {
  await workspace?.dispose();
});

describe('MONOCHROME1', () => {
  it('is the inverse of the same data labelled MONOCHROME2', async () => {
    const mono2 = await decodeJpeg((await renderPreview(writeDicomFile(crGradient({ photometricInterpretation: 'MONOCHROME2' })), { maxSize: 400, quality: 95 })).jpeg);
    const mono1 = await decodeJpeg((await renderPreview(writeDicomFile(crGradient({ photometricInterpretation: 'MONOCHROME1' })), { maxSize: 400, quality: 95 })).jpeg);
    expect(mono2.columnBandMean(0, 0.05)).toBeLessThan(30);
    expect(mono2.columnBandMean(0.95, 1)).toBeGreaterThan(225);
    expect(mono1.columnBandMean(0, 0.05)).toBeGreaterThan(225);
    expect(mono1.columnBandMean(0.95, 1)).toBeLessThan(30);
    let difference = 0;
    for (let y = 0; y < mono1.height; y += 7) {
      for (let x = 0; x < mono1.width; x += 7) {
        difference += Math.abs(mono1.at(x, y) - (255 - mono2.at(x, y)));
      }
    }
    const samples = Math.ceil(mono1.height / 7) * Math.ceil(mono1.width / 7);
    expect(difference / samples).toBeLessThan(3);
  });

  it('stays inverted through lossless JPEG compression', async () => {
    const file = await workspace.transcode(writeDicomFile(crGradient({ photometricInterpretation: 'MONOCHROME1' })), 'jpeg-lossless-sv1');
    const image = await decodeJpeg((await renderPreview(file, { maxSize: 1024 })).jpeg);
    expect(image.columnBandMean(0, 0.05)).toBeGreaterThan(image.columnBandMean(0.95, 1) + 180);
  });
});

describe('VOI', () => {
  it('masks the bits above Bits Stored (overlay bits in the CR fixture) before windowing', async () => {
    const image = await decodeJpeg((await renderPreview(writeDicomFile(crGradient()), { maxSize: 400 })).jpeg);
    expect(image.columnBandMean(0.45, 0.55)).toBeGreaterThan(100);
    expect(image.columnBandMean(0.45, 0.55)).toBeLessThan(155);
  });

  it('applies a VOI LUT Sequence in preference to the window (a reversing LUT turns the gradient round)', async () => {
    for (const syntax of ['explicit', 'implicit'] as const) {
      const dataset = crGradient({ reversingVoiLut: true });
      const file = syntax === 'explicit' ? writeDicomFile(dataset) : await workspace.transcode(writeDicomFile(dataset), 'implicit-little');
      const image = await decodeJpeg((await renderPreview(file, { maxSize: 400 })).jpeg);
      expect(image.columnBandMean(0, 0.05), syntax).toBeGreaterThan(225);
      expect(image.columnBandMean(0.95, 1), syntax).toBeLessThan(30);
    }
  });

  it('without a window, spreads the 0.5–99.5 percentile range so a few extreme pixels do not flatten the image', async () => {
    const preview = await renderPreview(writeDicomFile(ctGradient({ window: false, outliers: true })), { maxSize: 512 });
    const image = await decodeJpeg(preview.jpeg);
    // A plain min/max window over -32768..32767 would put the whole gradient within a few grey levels.
    expect(image.columnBandMean(0, 0.05)).toBeLessThan(25);
    expect(image.columnBandMean(0.95, 1)).toBeGreaterThan(230);
    expect(image.columnBandMean(0.45, 0.55)).toBeGreaterThan(100);
    expect(image.columnBandMean(0.45, 0.55)).toBeLessThan(155);
  });

  it('ignores an unusable window (width 0) and says so', async () => {
    const dataset = { ...ctGradient(), WindowWidth: 0 };
    const preview = await renderPreview(writeDicomFile(dataset), { maxSize: 256 });
    expect(preview.notes.join()).toMatch(/Window Center 200 \/ Width 0/);
    const image = await decodeJpeg(preview.jpeg);
    expect(image.columnBandMean(0.95, 1)).toBeGreaterThan(image.columnBandMean(0, 0.05) + 180);
  });
});

describe('geometry', () => {
  it('fits the longest side into maxSize and keeps the aspect ratio', async () => {
    const file = writeDicomFile(crGradient({ rows: 1200, columns: 1600 }));
    const preview = await renderPreview(file, { maxSize: 1024 });
    expect([preview.width, preview.height]).toEqual([1024, 768]);
    const image = await decodeJpeg(preview.jpeg);
    expect([image.width, image.height, image.channels]).toEqual([1024, 768, 1]);
    const thumbnail = await decodeJpeg((await renderThumbnail(file)).jpeg);
    expect([thumbnail.width, thumbnail.height]).toEqual([256, 192]);
  });

  it('does not enlarge a small image', async () => {
    const preview = await renderPreview(writeDicomFile(ctGradient({ rows: 64, columns: 96 })), { maxSize: 1024 });
    expect([preview.width, preview.height]).toEqual([96, 64]);
  });

  it('draws non-square pixels at their physical aspect (Pixel Spacing 0.2 \\ 0.1 mm)', async () => {
    const preview = await renderPreview(writeDicomFile(crGradient({ rows: 300, columns: 400, pixelSpacing: [0.2, 0.1] })), { maxSize: 1024 });
    // 300 rows of 0.2 mm are 60 mm tall, 400 columns of 0.1 mm are 40 mm wide.
    expect([preview.width, preview.height]).toEqual([400, 600]);
  });

  it('rejects a nonsensical size or quality as a programming error', async () => {
    const file = writeDicomFile(ctGradient({ rows: 8, columns: 8 }));
    await expect(renderPreview(file, { maxSize: 0 })).rejects.toThrow(RangeError);
    await expect(renderPreview(file, { maxSize: 256, quality: 101 })).rejects.toThrow(RangeError);
  });
});

describe('codec initialisation', () => {
  it('happens once however many renders ask for it at the same time', async () => {
    const first = initializeCodecs();
    expect(initializeCodecs()).toBe(first);
    await first;
    const file = await workspace.transcode(writeDicomFile(ctGradient({ rows: 128, columns: 128 })), 'jpeg-ls-lossless');
    const previews = await Promise.all(Array.from({ length: 8 }, () => renderPreview(file, { maxSize: 128 })));
    expect(new Set(previews.map((preview) => preview.jpeg.toString('base64'))).size).toBe(1);
  });
});
