import { describe, expect, it } from 'vitest';
import { closestKey } from './did-you-mean.ts';

describe('closestKey', () => {
  const known = ['hub', 'database', 'bus', 'storage', 'mllp', 'dicom', 'log', 'admin'];

  it.each([
    ['hbu', 'hub'],
    ['databse', 'database'],
    ['Storage', 'storage'],
    ['mlp', 'mllp'],
    ['dicomm', 'dicom'],
  ])('%s → %s', (typed, expected) => {
    expect(closestKey(typed, known)).toBe(expected);
  });

  it('suggests nothing when no key is close', () => {
    expect(closestKey('satusehat', known)).toBeUndefined();
    expect(closestKey('x', known)).toBeUndefined();
    expect(closestKey('anything', [])).toBeUndefined();
  });
});
