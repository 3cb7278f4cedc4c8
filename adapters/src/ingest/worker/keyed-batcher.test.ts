import { describe, expect, it } from 'vitest';
import { KeyedBatcher } from './keyed-batcher.ts';

describe('KeyedBatcher', () => {
  it('takes what arrives while a batch runs into the next batch, one batch at a time per key', async () => {
    const batches: string[][] = [];
    let running = 0;
    let maxRunningPerKey = 0;
    const batcher = new KeyedBatcher<string, string>(async (_key, items) => {
      running++;
      maxRunningPerKey = Math.max(maxRunningPerKey, running);
      batches.push(items);
      await new Promise((resolve) => setTimeout(resolve, 20));
      running--;
      return items.map((item) => (item === 'bad' ? new Error('refused') : item.toUpperCase()));
    });
    const first = batcher.add('study', 'a');
    const rest = ['b', 'c', 'bad', 'd'].map((item) => batcher.add('study', item).catch((error: Error) => error.message));
    expect(await first).toBe('A');
    expect(await Promise.all(rest)).toEqual(['B', 'C', 'refused', 'D']);
    expect(batches).toEqual([['a'], ['b', 'c', 'bad', 'd']]);
    expect(maxRunningPerKey).toBe(1);
    expect(batcher.activeKeys).toBe(0);
  });

  it('fails every item of a batch whose processing throws, and goes on with the next batch', async () => {
    let calls = 0;
    const batcher = new KeyedBatcher<number, number>(async (_key, items) => {
      calls++;
      if (calls === 1) throw new Error('hub down');
      return items;
    });
    const failed = batcher.add('k', 1);
    const later = batcher.add('k', 2);
    await expect(failed).rejects.toThrow('hub down');
    expect(await later).toBe(2);
  });
});
