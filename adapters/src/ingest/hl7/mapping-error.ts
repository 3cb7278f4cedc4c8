import { badRequest, OperationOutcomeError } from '@medplum/core';

export interface MappingErrorOptions {
  /** Field reference in HL7 notation, e.g. `PID-3` or `OBX-14`; `MSH-9` for the message as a whole. */
  readonly field: string;
  /** What is wrong, in words an integration engineer can act on. */
  readonly reason: string;
  /**
   * True when retrying the same message with the same configuration cannot succeed (bad data,
   * unsupported type). The ingest worker dead-letters permanent errors and retries the others.
   */
  readonly permanent?: boolean;
  /** 1-based occurrence of the segment when the message repeats it (the second OBX is 2). */
  readonly occurrence?: number;
  readonly cause?: unknown;
}

/**
 * A message that cannot be mapped to FHIR. Carries an OperationOutcome (400, with the HL7 field as
 * the expression) so the message store and the admin API show it like any other outcome, and the
 * MLLP edge can name the field in an ERR segment.
 */
export class MappingError extends OperationOutcomeError {
  readonly field: string;
  readonly reason: string;
  readonly permanent: boolean;
  readonly occurrence: number | undefined;

  constructor(options: MappingErrorOptions) {
    const where = options.occurrence && options.occurrence > 1 ? `${options.field} (segment #${options.occurrence})` : options.field;
    const text = `${where}: ${options.reason}`;
    super(badRequest(text, options.field), { cause: options.cause });
    this.name = 'MappingError';
    // The outcome already carries the field as its expression; the message reads as one sentence.
    this.message = text;
    this.field = options.field;
    this.reason = options.reason;
    this.permanent = options.permanent ?? true;
    this.occurrence = options.occurrence;
  }
}
