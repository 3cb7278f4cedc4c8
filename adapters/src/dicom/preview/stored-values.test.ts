import { describe, expect, it } from 'vitest';
import { storedValues } from './stored-values.ts';
import { pixelModule } from './testing/pixel-module-fixture.ts';

const littleEndian16 = (...words: number[]) => new Uint8Array(new Uint16Array(words).buffer);

describe('storedValues', () => {
  it('masks bits above High Bit (overlay bits) for unsigned data', () => {
    const module = pixelModule({ bitsStored: 12, highBit: 11 });
    expect(Array.from(storedValues(module, littleEndian16(0xf000 | 4095, 0x1000, 0x8001, 7)))).toEqual([4095, 0, 1, 7]);
  });

  it('sign-extends from Bits Stored for signed data', () => {
    const module = pixelModule({ bitsStored: 12, highBit: 11, signed: true });
    expect(Array.from(storedValues(module, littleEndian16(0x0fff, 0x0800, 0x07ff, 0xa800)))).toEqual([-1, -2048, 2047, -2048]);
  });

  it('honours a High Bit that is not Bits Stored - 1', () => {
    const module = pixelModule({ bitsStored: 12, highBit: 15 });
    expect(Array.from(storedValues(module, littleEndian16(0xfff0, 0x0010, 0x000f, 0x8000)))).toEqual([4095, 1, 0, 2048]);
  });

  it('reads 8-bit signed, 32-bit unsigned and 32-bit float samples', () => {
    expect(Array.from(storedValues(pixelModule({ bitsAllocated: 8, bitsStored: 8, highBit: 7, signed: true }), Uint8Array.from([0, 127, 128, 255])))).toEqual([0, 127, -128, -1]);
    const uint32 = new Uint8Array(new Uint32Array([0, 1, 4_000_000_000, 65536]).buffer);
    expect(Array.from(storedValues(pixelModule({ bitsAllocated: 32, bitsStored: 32, highBit: 31 }), uint32))).toEqual([0, 1, 4_000_000_000, 65536]);
    const float32 = new Uint8Array(new Float32Array([-1.5, 0, 2.25, 1e6]).buffer);
    expect(Array.from(storedValues(pixelModule({ bitsAllocated: 32, bitsStored: 32, highBit: 31, floatingPoint: true }), float32))).toEqual([-1.5, 0, 2.25, 1e6]);
  });

  it('unpacks single-bit pixels, least significant bit first, from a bit offset', () => {
    const module = pixelModule({ bitsAllocated: 1, bitsStored: 1, highBit: 0, columns: 4 });
    expect(Array.from(storedValues(module, Uint8Array.from([0b1011_0110]), 4))).toEqual([1, 1, 0, 1]);
  });

  it('refuses a decoded frame too short for Rows × Columns', () => {
    expect(() => storedValues(pixelModule({ columns: 4 }), littleEndian16(1, 2, 3))).toThrow(/pixel-data-size-mismatch: the decoded frame has 6 bytes/);
  });
});
