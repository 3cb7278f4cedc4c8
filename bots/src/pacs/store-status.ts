/**
 * What a C-STORE response status means for the delivery (PS3.4 B.2.3, PS3.7 C): stored, stored with a
 * warning (recorded), or failed, and whether trying again later can help.
 */

export type StoreOutcome = 'stored' | 'warning' | 'failed';

export interface StatusMeaning {
  readonly outcome: StoreOutcome;
  /** Only for failures: true when the same instance may be accepted later (resources, processing). */
  readonly retryable: boolean;
  /** "0xA700 Refused: Out of Resources" */
  readonly text: string;
}

const NAMES: Readonly<Record<number, string>> = {
  0x0000: 'Success',
  0x0001: 'Warning: Requested optional attributes are not supported',
  0x0107: 'Warning: Attribute list error',
  0x0110: 'Processing Failure',
  0x0111: 'Duplicate SOP Instance',
  0x0116: 'Warning: Attribute Value Out of Range',
  0x0117: 'Invalid Object Instance',
  0x0122: 'Refused: SOP Class Not Supported',
  0x0124: 'Refused: Not Authorized',
  0x0210: 'Duplicate Invocation',
  0x0211: 'Unrecognized Operation',
  0x0212: 'Mistyped Argument',
  0x0213: 'Resource Limitation',
  0xa700: 'Refused: Out of Resources',
  0xa900: 'Error: Data Set Does Not Match SOP Class',
  0xb000: 'Warning: Coercion of Data Elements',
  0xb006: 'Warning: Elements Discarded',
  0xb007: 'Warning: Data Set Does Not Match SOP Class',
  0xc000: 'Error: Cannot Understand',
  0xfe00: 'Cancel',
};

const WARNINGS = new Set([0x0001, 0x0107, 0x0116, 0xb000, 0xb006, 0xb007]);
/** Failures that a later attempt cannot change: the object or the operation itself is refused. */
const PERMANENT = new Set([0x0111, 0x0117, 0x0122, 0x0124, 0x0211, 0x0212]);

export function formatStatus(status: number): string {
  return `0x${status.toString(16).toUpperCase().padStart(4, '0')}`;
}

export function statusName(status: number): string {
  if (NAMES[status]) return NAMES[status];
  if ((status & 0xff00) === 0xa700) return 'Refused: Out of Resources';
  if ((status & 0xff00) === 0xa900) return 'Error: Data Set Does Not Match SOP Class';
  if ((status & 0xf000) === 0xc000) return 'Error: Cannot Understand';
  if ((status & 0xf000) === 0xb000) return 'Warning';
  return 'Failure';
}

/** `errorComment` is the peer's Error Comment (0000,0902), appended in parentheses when present. */
export function interpretStoreStatus(status: number, errorComment?: string): StatusMeaning {
  const comment = errorComment?.trim();
  const text = `${formatStatus(status)} ${statusName(status)}${comment ? ` (${comment})` : ''}`;
  if (status === 0x0000) return { outcome: 'stored', retryable: false, text };
  if (WARNINGS.has(status) || (status & 0xf000) === 0xb000) return { outcome: 'warning', retryable: false, text };
  const permanent = PERMANENT.has(status) || (status & 0xff00) === 0xa900 || (status & 0xf000) === 0xc000;
  // 0xA7xx, 0x0110, 0x0213, Cancel and anything unknown: the peer may take it later; the retry budget bounds it.
  return { outcome: 'failed', retryable: !permanent, text };
}
