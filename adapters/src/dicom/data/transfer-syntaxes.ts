/** How the data set after the file meta group is encoded. */
export type DatasetEncoding = 'implicit-little' | 'explicit-little' | 'explicit-big' | 'deflated-explicit-little';

/** The codec family that decodes the frames of an encapsulated syntax. */
export type FrameCodec = 'rle' | 'jpeg' | 'jpeg-ls' | 'jpeg2000' | 'jpeg-xl';

export interface TransferSyntaxInfo {
  readonly uid: string;
  readonly name: string;
  readonly encoding: DatasetEncoding;
  /** Frames live in fragments of an undefined-length Pixel Data element; `codec` decodes them. */
  readonly codec: FrameCodec | undefined;
  readonly lossy: boolean;
}

function syntax(uid: string, name: string, encoding: DatasetEncoding, codec: FrameCodec | undefined, lossy = false): TransferSyntaxInfo {
  return { uid, name, encoding, codec, lossy };
}

/**
 * The transfer syntaxes whose pixel data Simpul can decode (native ones by reading the bytes, the others
 * with the dcmjs-imaging WebAssembly codecs). Anything else is parsed (its data set is explicit VR little
 * endian, PS3.5 A.4) but gets no preview.
 */
const KNOWN_SYNTAXES: readonly TransferSyntaxInfo[] = [
  syntax('1.2.840.10008.1.2', 'Implicit VR Little Endian', 'implicit-little', undefined),
  syntax('1.2.840.10008.1.2.1', 'Explicit VR Little Endian', 'explicit-little', undefined),
  syntax('1.2.840.10008.1.2.1.99', 'Deflated Explicit VR Little Endian', 'deflated-explicit-little', undefined),
  syntax('1.2.840.10008.1.2.2', 'Explicit VR Big Endian', 'explicit-big', undefined),
  syntax('1.2.840.10008.1.2.5', 'RLE Lossless', 'explicit-little', 'rle'),
  syntax('1.2.840.10008.1.2.4.50', 'JPEG Baseline (Process 1)', 'explicit-little', 'jpeg', true),
  syntax('1.2.840.10008.1.2.4.51', 'JPEG Extended (Process 2 & 4)', 'explicit-little', 'jpeg', true),
  syntax('1.2.840.10008.1.2.4.57', 'JPEG Lossless, Non-Hierarchical (Process 14)', 'explicit-little', 'jpeg'),
  syntax('1.2.840.10008.1.2.4.70', 'JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [SV1])', 'explicit-little', 'jpeg'),
  syntax('1.2.840.10008.1.2.4.80', 'JPEG-LS Lossless', 'explicit-little', 'jpeg-ls'),
  syntax('1.2.840.10008.1.2.4.81', 'JPEG-LS Near-Lossless', 'explicit-little', 'jpeg-ls', true),
  syntax('1.2.840.10008.1.2.4.90', 'JPEG 2000 Lossless Only', 'explicit-little', 'jpeg2000'),
  syntax('1.2.840.10008.1.2.4.91', 'JPEG 2000', 'explicit-little', 'jpeg2000', true),
  syntax('1.2.840.10008.1.2.4.201', 'High-Throughput JPEG 2000 Lossless Only', 'explicit-little', 'jpeg2000'),
  syntax('1.2.840.10008.1.2.4.202', 'High-Throughput JPEG 2000 with RPCL Options Lossless Only', 'explicit-little', 'jpeg2000'),
  syntax('1.2.840.10008.1.2.4.203', 'High-Throughput JPEG 2000', 'explicit-little', 'jpeg2000', true),
  syntax('1.2.840.10008.1.2.4.110', 'JPEG XL Lossless', 'explicit-little', 'jpeg-xl'),
  syntax('1.2.840.10008.1.2.4.111', 'JPEG XL JPEG Recompression', 'explicit-little', 'jpeg-xl'),
  syntax('1.2.840.10008.1.2.4.112', 'JPEG XL', 'explicit-little', 'jpeg-xl', true),
];

const BY_UID = new Map(KNOWN_SYNTAXES.map((entry) => [entry.uid, entry]));

/** The syntax Simpul knows by this UID, or undefined for one it cannot decode pixels of. */
export function describeTransferSyntax(uid: string): TransferSyntaxInfo | undefined {
  return BY_UID.get(uid);
}

/** How the data set of a file with this transfer syntax is encoded; unknown syntaxes are explicit little endian. */
export function datasetEncodingOf(uid: string): DatasetEncoding {
  return BY_UID.get(uid)?.encoding ?? 'explicit-little';
}

export const IMPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2';
export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
