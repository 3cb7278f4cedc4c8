import type { InstanceMetadata } from '../data/instance-metadata.ts';

/** C-STORE response statuses the receiver answers with (PS3.4 B.2.3, PS3.7 C). */
export const STORE_STATUS = {
  success: 0x0000,
  /** Stored, but the data set does not match its SOP class (pixel data longer than the image). */
  warningDatasetMismatch: 0xb007,
  /** Not stored: disk or bus failure, or the instance is larger than allowed. The modality should retry. */
  outOfResources: 0xa700,
  /** Not stored: the data set does not match its SOP class (an image without usable pixel data). */
  datasetMismatch: 0xa900,
  /** Not stored: the data set cannot be read (truncated, malformed, missing UIDs). */
  cannotUnderstand: 0xc000,
  /** The C-STORE came on a presentation context that was not accepted. */
  sopClassNotSupported: 0x0122,
} as const;

export interface StoreOutcome {
  readonly status: number;
  /** Why it failed or warned: logged, and sent as the response's Error Comment (first 64 characters). */
  readonly reason?: string;
  /** Blob store path, once the file is kept. */
  readonly path?: string;
  /** The same SOP Instance UID had been stored before; nothing was written this time. */
  readonly duplicate?: boolean;
  readonly instance?: InstanceMetadata;
}

export function isSuccessStatus(status: number): boolean {
  return status === STORE_STATUS.success || (status >= 0xb000 && status <= 0xbfff);
}

/** The status as PS3.7 writes it, e.g. `0xA700`. */
export function formatStatus(status: number): string {
  return `0x${status.toString(16).toUpperCase().padStart(4, '0')}`;
}
