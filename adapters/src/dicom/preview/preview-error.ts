/**
 * Why no preview could be made. A preview failure never fails the ingest of the instance: the study is
 * stored without that preview and the reason is logged.
 */
export type PreviewFailure =
  /** The bytes are not a readable DICOM file (see the DicomParseError in `cause`). */
  | 'invalid-dicom'
  /** No Pixel Data (7FE0,0010), Float/Double Float Pixel Data, or an empty one: an SR, a KOS, a PDF... */
  | 'no-pixel-data'
  /** The pixel data is shorter than Rows × Columns × Samples × Bits Allocated × Frames say, or a decoded frame has another size. */
  | 'pixel-data-size-mismatch'
  /** A transfer syntax whose pixel data Simpul has no decoder for (MPEG, HEVC, an unknown UID...). */
  | 'unsupported-transfer-syntax'
  /** Pixel attributes Simpul cannot render (64 bits allocated, an unknown photometric interpretation, zero rows...). */
  | 'unsupported-pixel-format'
  /** A codec rejected the compressed frame, or rendering failed. */
  | 'decode-failed';

export class PreviewError extends Error {
  readonly reason: PreviewFailure;

  constructor(reason: PreviewFailure, message: string, options?: { cause?: unknown }) {
    super(`${reason}: ${message}`, options);
    this.name = 'PreviewError';
    this.reason = reason;
  }
}
