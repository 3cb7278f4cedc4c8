import { describe, expect, test } from 'vitest';
import { KeyedSerializer } from './keyed-serializer.ts';

const later = <T>(ms: number, value: T, log: string[]) =>
  new Promise<T>((resolve) =>
    setTimeout(() => {
      log.push(String(value));
      resolve(value);
    }, ms),
  );

describe('KeyedSerializer', () => {
  test('same key: one at a time, in order, even when the first is slower', async () => {
    const serializer = new KeyedSerializer();
    const log: string[] = [];
    await Promise.all([serializer.run('Patient/1', () => later(40, 'v1', log)), serializer.run('Patient/1', () => later(1, 'v2', log))]);
    expect(log).toEqual(['v1', 'v2']);
    expect(serializer.size).toBe(0);
  });

  test('different keys run side by side', async () => {
    const serializer = new KeyedSerializer();
    const log: string[] = [];
    await Promise.all([serializer.run('a', () => later(40, 'a', log)), serializer.run('b', () => later(1, 'b', log))]);
    expect(log).toEqual(['b', 'a']);
  });

  test('a failure is returned to its caller and does not stop the next task of the key', async () => {
    const serializer = new KeyedSerializer();
    const failing = serializer.run('k', () => Promise.reject(new Error('first failed')));
    const next = serializer.run('k', async () => 'second ran');
    await expect(failing).rejects.toThrow('first failed');
    await expect(next).resolves.toBe('second ran');
  });
});
