import { describe, expect, it } from 'vitest';
import { HubRequestError } from './hub-client.ts';
import { withInOrderRetries } from './in-order-retry.ts';

describe('in-order retries', () => {
  it('retries a transient hub failure in place until it succeeds', async () => {
    let calls = 0;
    const result = await withInOrderRetries(async () => {
      calls++;
      if (calls < 3) throw new HubRequestError('the hub answered 500', 500);
      return 'stored';
    }, [1, 1, 1]);
    expect(result).toBe('stored');
    expect(calls).toBe(3);
  });

  it('gives up after the last delay, and never retries a permanent refusal', async () => {
    let calls = 0;
    await expect(withInOrderRetries(async () => {
      calls++;
      throw new HubRequestError('unavailable', 503);
    }, [1, 1])).rejects.toThrow('unavailable');
    expect(calls).toBe(3);
    calls = 0;
    await expect(withInOrderRetries(async () => {
      calls++;
      throw new HubRequestError('invalid resource', 400);
    }, [1, 1])).rejects.toThrow('invalid resource');
    expect(calls).toBe(1);
  });
});
