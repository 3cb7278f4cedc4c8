import { describeTransferSyntax } from '../../data/transfer-syntaxes.ts';
import type { PixelModule } from '../pixel-module.ts';

/** A PixelModule for unit tests: a 16-bit unsigned MONOCHROME2 frame in explicit VR little endian unless overridden. */
export function pixelModule(overrides: Partial<PixelModule> & { transferSyntaxUid?: string } = {}): PixelModule {
  const { transferSyntaxUid = '1.2.840.10008.1.2.1', ...rest } = overrides;
  const transferSyntax = describeTransferSyntax(transferSyntaxUid);
  if (!transferSyntax) {
    throw new Error(`unknown syntax ${transferSyntaxUid}`);
  }
  return {
    transferSyntax,
    rows: 1,
    columns: 4,
    samplesPerPixel: 1,
    bitsAllocated: 16,
    bitsStored: 16,
    highBit: 15,
    signed: false,
    planar: false,
    photometricInterpretation: 'MONOCHROME2',
    numberOfFrames: 1,
    floatingPoint: false,
    buffers: [],
    wordValues: true,
    ...rest,
  };
}
