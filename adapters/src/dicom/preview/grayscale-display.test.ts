import { describe, expect, it } from 'vitest';
import { readGrayscaleDisplay, toDisplayValues } from './grayscale-display.ts';
import type { GrayscaleDisplay } from './grayscale-display.ts';
import { pixelModule } from './testing/pixel-module-fixture.ts';

const display = (overrides: Partial<GrayscaleDisplay>): GrayscaleDisplay => ({
  slope: 1,
  intercept: 0,
  voi: { kind: 'robust-range' },
  invert: false,
  ...overrides,
});

const render = (values: number[], settings: Partial<GrayscaleDisplay>) => Array.from(toDisplayValues(Float32Array.from(values), display(settings)));

describe('window functions (PS3.3 C.11.2.1.2)', () => {
  it('LINEAR maps c - 0.5 - (w-1)/2 to black and c - 0.5 + (w-1)/2 to white', () => {
    // c = 100, w = 51: black at or below 74.5, white above 124.5, 99.5 is mid-grey.
    expect(render([74, 75, 99.5, 124, 125], { voi: { kind: 'window', center: 100, width: 51, fn: 'LINEAR' } })).toEqual([0, 3, 128, 252, 255]);
  });

  it('LINEAR with width 1 is a threshold at c - 0.5', () => {
    expect(render([99, 99.5, 100], { voi: { kind: 'window', center: 100, width: 1, fn: 'LINEAR' } })).toEqual([0, 0, 255]);
  });

  it('LINEAR_EXACT maps c - w/2 .. c + w/2', () => {
    expect(render([75, 100, 125], { voi: { kind: 'window', center: 100, width: 50, fn: 'LINEAR_EXACT' } })).toEqual([0, 128, 255]);
  });

  it('SIGMOID is mid-grey at the centre and saturates smoothly', () => {
    const [low, middle, high] = render([0, 100, 200], { voi: { kind: 'window', center: 100, width: 50, fn: 'SIGMOID' } });
    expect(middle).toBe(128);
    expect(low).toBeLessThan(2);
    expect(high).toBeGreaterThan(253);
  });

  it('applies Rescale Slope and Intercept before the window', () => {
    // stored 0..3 → HU -1024, -1022, -1020, -1018 with slope 2; window over -1024..-1018
    expect(render([0, 1, 2, 3], { slope: 2, intercept: -1024, voi: { kind: 'window', center: -1021, width: 6, fn: 'LINEAR_EXACT' } })).toEqual([0, 85, 170, 255]);
  });

  it('inverts for MONOCHROME1 after the VOI', () => {
    expect(render([74, 125], { voi: { kind: 'window', center: 100, width: 51, fn: 'LINEAR' }, invert: true })).toEqual([255, 0]);
  });
});

describe('lookup tables', () => {
  const lut = { firstMapped: -2, entries: Float32Array.from([0, 0, 1000, 4095]), bits: 12 };

  it('a VOI LUT maps from its first value and clamps outside its range', () => {
    expect(render([-5, -2, 0, 1, 9], { voi: { kind: 'lut', lut } })).toEqual([0, 0, 62, 255, 255]);
  });

  it('a Modality LUT replaces the rescale', () => {
    expect(render([-2, 1], { slope: 100, modalityLut: lut, voi: { kind: 'window', center: 2047.5, width: 4096, fn: 'LINEAR' } })).toEqual([0, 255]);
  });

  it('reads a VOI LUT with a signed first value written as US and OW data', () => {
    const entries = new Uint16Array([0, 255]);
    const dataset = { VOILUTSequence: [{ LUTDescriptor: [2, 65535, 8], LUTData: [entries.buffer] }], WindowCenter: 0, WindowWidth: 1 };
    const result = readGrayscaleDisplay(dataset, pixelModule({ signed: true }), []);
    expect(result.voi).toEqual({ kind: 'lut', lut: { firstMapped: -1, entries: Float32Array.from([0, 255]), bits: 8 } });
  });

  it('widens the output bits when the entries exceed what the descriptor declares', () => {
    const dataset = { VOILUTSequence: [{ LUTDescriptor: [2, 0, 8], LUTData: [0, 4095] }] };
    const result = readGrayscaleDisplay(dataset, pixelModule(), []);
    expect(result.voi.kind === 'lut' && result.voi.lut.bits).toBe(12);
  });

  it('ignores a LUT with fewer entries than its descriptor says, falling back to the window, and notes it', () => {
    const notes: string[] = [];
    const dataset = { VOILUTSequence: [{ LUTDescriptor: [4096, 0, 12], LUTData: [1, 2, 3] }], WindowCenter: 40, WindowWidth: 400 };
    expect(readGrayscaleDisplay(dataset, pixelModule(), notes).voi).toEqual({ kind: 'window', center: 40, width: 400, fn: 'LINEAR' });
    expect(notes).toEqual(['ignored the VOI LUT Sequence: LUT Data has 3 entries, the descriptor says 4096']);
  });
});

describe('robust range when the object has no window', () => {
  it('ignores the 0.5 % extremes', () => {
    const values = Array.from({ length: 1000 }, (_, i) => i);
    values[0] = -30000;
    values[999] = 30000;
    const output = render(values, {});
    expect(output[1]).toBeLessThan(3);
    expect(output[500]).toBeGreaterThan(120);
    expect(output[500]).toBeLessThan(135);
    expect(output[998]).toBeGreaterThan(252);
  });

  it('leaves padding values out of the range', () => {
    const values = [...Array.from({ length: 100 }, (_, i) => i), ...Array.from({ length: 900 }, () => -2000)];
    const output = render(values, { padding: { from: -2000, to: -2000 } });
    expect(output[0]).toBe(0);
    expect(output[99]).toBe(255);
    expect(output[50]).toBeGreaterThan(120);
  });

  it('reads Pixel Padding Value written unsigned for a signed image', () => {
    const result = readGrayscaleDisplay({ PixelPaddingValue: 63536 }, pixelModule({ signed: true }), []);
    expect(result.padding).toEqual({ from: -2000, to: -2000 });
  });
});
