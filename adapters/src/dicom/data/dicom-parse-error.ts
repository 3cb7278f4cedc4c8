/** Why a byte stream could not be used as a DICOM instance. */
export type DicomParseFailure =
  /** No "DICM" prefix at byte 128: not a DICOM Part 10 file (or not one at all). */
  | 'not-part10'
  /** The stream ends inside an element, a sequence or the pixel data. */
  | 'truncated'
  /** The bytes are there but do not form a data set (bad VR, bad item tag, undecodable deflate). */
  | 'malformed'
  /** A Type 1 attribute Simpul needs (the UIDs) is absent or empty. */
  | 'missing-attribute'
  /** An attribute is present but its value cannot be used (a UID with letters in it). */
  | 'invalid-attribute';

/**
 * A DICOM object that cannot be read. The message names what failed (element tag, offset, declared and
 * available lengths) so the message store and the logs say why, and a C-STORE receiver can answer with a
 * failure status.
 */
export class DicomParseError extends Error {
  readonly reason: DicomParseFailure;
  /** Byte offset in the file (or in the inflated data set for the deflated syntax) where reading failed. */
  readonly offset: number | undefined;
  /** The element involved, as "(gggg,eeee)". */
  readonly tag: string | undefined;

  constructor(reason: DicomParseFailure, message: string, details: { offset?: number; tag?: string; cause?: unknown } = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'DicomParseError';
    this.reason = reason;
    this.offset = details.offset;
    this.tag = details.tag;
  }
}

/** "(7FE0,0010)" for a group and element. */
export function formatTag(group: number, element: number): string {
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
  return `(${hex(group)},${hex(element)})`;
}
