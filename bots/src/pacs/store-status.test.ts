import { describe, expect, it } from 'vitest';
import { formatStatus, interpretStoreStatus } from './store-status.ts';

describe('interpretStoreStatus', () => {
  it.each([
    [0x0000, 'stored', false, '0x0000 Success'],
    [0xb000, 'warning', false, '0xB000 Warning: Coercion of Data Elements'],
    [0xb006, 'warning', false, '0xB006 Warning: Elements Discarded'],
    [0xb007, 'warning', false, '0xB007 Warning: Data Set Does Not Match SOP Class'],
    [0xa700, 'failed', true, '0xA700 Refused: Out of Resources'],
    [0xa7ff, 'failed', true, '0xA7FF Refused: Out of Resources'],
    [0xa900, 'failed', false, '0xA900 Error: Data Set Does Not Match SOP Class'],
    [0xa9c2, 'failed', false, '0xA9C2 Error: Data Set Does Not Match SOP Class'],
    [0xc000, 'failed', false, '0xC000 Error: Cannot Understand'],
    [0xc123, 'failed', false, '0xC123 Error: Cannot Understand'],
    [0x0122, 'failed', false, '0x0122 Refused: SOP Class Not Supported'],
    [0x0110, 'failed', true, '0x0110 Processing Failure'],
    [0x0213, 'failed', true, '0x0213 Resource Limitation'],
    [0x1234, 'failed', true, '0x1234 Failure'],
  ] as const)('0x%s', (status, outcome, retryable, text) => {
    expect(interpretStoreStatus(status)).toEqual({ outcome, retryable, text });
  });

  it('appends the peer error comment', () => {
    expect(interpretStoreStatus(0xa700, ' Cannot write file ').text).toBe('0xA700 Refused: Out of Resources (Cannot write file)');
  });

  it('formats statuses as four upper-case hex digits', () => {
    expect(formatStatus(0xb)).toBe('0x000B');
    expect(formatStatus(0xfe00)).toBe('0xFE00');
  });
});
