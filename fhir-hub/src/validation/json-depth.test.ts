import { describe, expect, it } from 'vitest';
import { exceedsJsonDepth } from './json-depth.ts';

function nestedArrays(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) {
    value = [value];
  }
  return value;
}

describe('exceedsJsonDepth', () => {
  it('counts the root object as depth 1 and ignores primitives', () => {
    expect(exceedsJsonDepth({ a: 1 }, 1)).toBe(false);
    expect(exceedsJsonDepth({ a: { b: 1 } }, 1)).toBe(true);
    expect(exceedsJsonDepth('text', 0)).toBe(false);
    expect(exceedsJsonDepth(null, 0)).toBe(false);
  });

  it('counts arrays and objects alike, at the exact boundary', () => {
    expect(exceedsJsonDepth(nestedArrays(10), 10)).toBe(false);
    expect(exceedsJsonDepth(nestedArrays(11), 10)).toBe(true);
    expect(exceedsJsonDepth({ a: [{ b: [{}] }] }, 5)).toBe(false);
    expect(exceedsJsonDepth({ a: [{ b: [{ c: {} }] }] }, 5)).toBe(true);
  });

  it('finds the deep branch among wide shallow ones', () => {
    const wide = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, { v: i }]));
    expect(exceedsJsonDepth({ ...wide, deep: nestedArrays(200) }, 128)).toBe(true);
    expect(exceedsJsonDepth(wide, 128)).toBe(false);
  });

  it('walks a million levels without recursion', () => {
    expect(exceedsJsonDepth(nestedArrays(1_000_000), 128)).toBe(true);
  });
});
