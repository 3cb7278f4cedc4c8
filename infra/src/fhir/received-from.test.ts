import { describe, expect, it } from 'vitest';
import { RECEIVED_FROM_EXTENSION_URL, readReceivedFrom, receivedFromExtension, withReceivedFrom } from './received-from.ts';

describe('received-from extension', () => {
  it('round-trips the arrival facts and leaves out empty ones', () => {
    const extension = receivedFromExtension({ protocol: 'dicom', callingAeTitle: 'CT01', calledAeTitle: 'SIMPUL', sendingFacility: '  ' });
    expect(extension.extension?.map((part) => part.url)).toEqual(['protocol', 'callingAeTitle', 'calledAeTitle']);
    expect(readReceivedFrom({ extension: [extension] })).toEqual([{ protocol: 'dicom', callingAeTitle: 'CT01', calledAeTitle: 'SIMPUL' }]);
  });

  it('adds a second arrival path once, keeps foreign extensions', () => {
    const foreign = { url: 'https://example.org/x', valueString: 'kept' };
    const once = withReceivedFrom([foreign], { protocol: 'dicom', callingAeTitle: 'CT01', calledAeTitle: 'SIMPUL' });
    const twice = withReceivedFrom(once, { protocol: 'dicom', callingAeTitle: 'CT01', calledAeTitle: 'SIMPUL' });
    const other = withReceivedFrom(twice, { protocol: 'dicom', callingAeTitle: 'MR02', calledAeTitle: 'SIMPUL' });
    expect(twice).toHaveLength(2);
    expect(other.filter((extension) => extension.url === RECEIVED_FROM_EXTENSION_URL)).toHaveLength(2);
    expect(other[0]).toBe(foreign);
    expect(readReceivedFrom({ extension: other }).map((from) => from.callingAeTitle)).toEqual(['CT01', 'MR02']);
  });
});
