import dcmjs from 'dcmjs';
import type { DcmjsDicomDict, DcmjsLogger, NaturalizedDataset } from 'dcmjs';
import { checkPart10Structure } from './check-part10-structure.ts';
import { DicomParseError } from './dicom-parse-error.ts';

/** A DICOM Part 10 file read into memory. */
export interface ParsedDicom {
  readonly transferSyntaxUid: string;
  /** The file meta group (0002,xxxx), naturalized by dcmjs (keys are keywords). */
  readonly meta: NaturalizedDataset;
  /** The data set, naturalized by dcmjs: `PatientName`, `Rows`, `PixelData` (an array of ArrayBuffers)... */
  readonly dataset: NaturalizedDataset;
  readonly byteLength: number;
  /** What dcmjs complained about while reading (an unknown VR, for example); the file was still read. */
  readonly warnings: readonly string[];
}

/**
 * Reads a DICOM Part 10 file. Throws DicomParseError naming what failed for anything that is not a whole,
 * well-formed file: no DICM prefix, a stream cut inside any element (dcmjs alone would accept a file cut
 * inside the pixel data), a bad VR or item tag, a deflated data set that does not inflate.
 */
export function parseDicomFile(bytes: Uint8Array): ParsedDicom {
  const layout = checkPart10Structure(bytes);
  const warnings: string[] = [];
  let dicomDict: DcmjsDicomDict;
  try {
    // dcmjs wants an ArrayBuffer of its own; the copy also detaches us from a pooled Buffer.
    const ownBuffer = new Uint8Array(bytes).buffer;
    dicomDict = withDcmjsLogsCaptured(warnings, () => dcmjs.data.DicomMessage.readFile(ownBuffer));
  } catch (error) {
    throw new DicomParseError('malformed', `dcmjs could not read the data set: ${(error as Error).message}`, { cause: error });
  }
  const { naturalizeDataset } = dcmjs.data.DicomMetaDictionary;
  return {
    transferSyntaxUid: layout.transferSyntaxUid,
    meta: naturalizeDataset(dicomDict.meta),
    dataset: naturalizeDataset(dicomDict.dict),
    byteLength: bytes.byteLength,
    warnings,
  };
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;

/**
 * dcmjs logs its reading complaints to the console through loglevel. Reading is synchronous, so for its
 * duration the loggers' methods are swapped for ones that collect the messages into the parse result,
 * where the caller can log them with the message's context instead of as bare console noise.
 */
function withDcmjsLogsCaptured<T>(warnings: string[], read: () => T): T {
  const loggers: DcmjsLogger[] = [dcmjs.log, dcmjs.log.getLogger('validation.dcmjs')];
  const saved = loggers.map((logger) => LEVELS.map((level) => logger[level]));
  const collect = (...message: unknown[]) => {
    warnings.push(message.map(String).join(' '));
  };
  for (const logger of loggers) {
    for (const level of LEVELS) {
      logger[level] = level === 'trace' || level === 'debug' ? () => undefined : collect;
    }
  }
  try {
    return read();
  } finally {
    loggers.forEach((logger, i) => LEVELS.forEach((level, j) => (logger[level] = saved[i][j])));
  }
}
