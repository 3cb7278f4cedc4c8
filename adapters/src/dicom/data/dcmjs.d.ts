/**
 * The part of dcmjs (which ships no type declarations) that Simpul uses. Keep it narrow: every name
 * declared here is one we call, so a dcmjs upgrade that changes it fails the typecheck or a test.
 */
declare module 'dcmjs' {
  /** One element of a denaturalized data set, keyed by its tag as 8 hex digits ("7FE00010"). */
  export interface DcmjsElement {
    vr: string;
    Value?: unknown[];
    _rawValue?: unknown;
  }

  export type DcmjsDataset = Record<string, DcmjsElement>;

  /** A naturalized data set: keys are attribute keywords ("PatientName"); values as dcmjs converts them. */
  export type NaturalizedDataset = Record<string, unknown>;

  export interface DcmjsDicomDict {
    meta: DcmjsDataset;
    dict: DcmjsDataset;
    write(options?: { allowInvalidVRLength?: boolean; fragmentMultiframe?: boolean }): ArrayBuffer;
  }

  export interface DcmjsReadOptions {
    ignoreErrors?: boolean;
    untilTag?: string;
    includeUntilTagValue?: boolean;
    noCopy?: boolean;
    forceStoreRaw?: boolean;
  }

  /** loglevel logger (dcmjs logs through loglevel; "validation.dcmjs" is its validation child). */
  export interface DcmjsLogger {
    trace(...message: unknown[]): void;
    debug(...message: unknown[]): void;
    info(...message: unknown[]): void;
    warn(...message: unknown[]): void;
    error(...message: unknown[]): void;
    getLogger(name: string): DcmjsLogger;
  }

  const dcmjs: {
    data: {
      DicomMessage: {
        readFile(buffer: ArrayBuffer, options?: DcmjsReadOptions): DcmjsDicomDict;
      };
      DicomMetaDictionary: {
        naturalizeDataset(dataset: DcmjsDataset): NaturalizedDataset;
        denaturalizeDataset(dataset: NaturalizedDataset): DcmjsDataset;
      };
      DicomDict: new (meta: DcmjsDataset) => DcmjsDicomDict;
    };
    log: DcmjsLogger;
  };
  export default dcmjs;
}
