import { describe, expect, it } from 'vitest';
import type { ProgressUpdate } from '../routing/destination-driver.ts';
import { ProgressCheckpoints } from './progress-checkpoints.ts';

describe('ProgressCheckpoints', () => {
  it('batches accepted instances by the interval and records the rest at finish, warnings included', async () => {
    let now = 0;
    const updates: ProgressUpdate[] = [];
    const checkpoints = new ProgressCheckpoints(async (update) => void updates.push(update), { intervalMs: 1000, now: () => now });
    checkpoints.accepted('1');
    now = 500;
    checkpoints.accepted('2', '2 0xB000 Warning: Coercion of Data Elements');
    expect(updates).toEqual([]);
    now = 1000;
    checkpoints.accepted('3');
    now = 1200;
    checkpoints.accepted('4');
    await checkpoints.finish();
    expect(updates).toEqual([
      { deliveredInstances: ['1', '2', '3'], warnings: ['2 0xB000 Warning: Coercion of Data Elements'] },
      { deliveredInstances: ['4'] },
    ]);
    expect(checkpoints.recorded).toBe(4);
  });

  it('records nothing when nothing was accepted', async () => {
    const updates: ProgressUpdate[] = [];
    await new ProgressCheckpoints(async (update) => void updates.push(update)).finish();
    expect(updates).toEqual([]);
  });

  it('raises a failed checkpoint at finish, after trying the later ones', async () => {
    let now = 0;
    const updates: ProgressUpdate[] = [];
    let calls = 0;
    const checkpoints = new ProgressCheckpoints(
      async (update) => {
        calls += 1;
        if (calls === 1) throw new Error('hub unavailable');
        updates.push(update);
      },
      { intervalMs: 10, now: () => now },
    );
    now = 10;
    checkpoints.accepted('1');
    checkpoints.accepted('2');
    await expect(checkpoints.finish()).rejects.toThrow('hub unavailable');
    expect(updates).toEqual([{ deliveredInstances: ['2'] }]);
  });
});
