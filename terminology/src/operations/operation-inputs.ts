import { TerminologyError, terminologyError } from '../errors.ts';

/** Operation inputs are checked the same way everywhere: a missing or malformed one is SIMPUL-TERM-001. */

export function requireText(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw terminologyError(TerminologyError.INVALID_PARAMETER, `parameter ${name} is required (a non-empty string)`, name);
  }
  return value;
}

export function optionalText(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    throw terminologyError(TerminologyError.INVALID_PARAMETER, `parameter ${name} must be a string`, name);
  }
  return value === '' ? undefined : value;
}

export function optionalCount(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw terminologyError(TerminologyError.INVALID_PARAMETER, `parameter ${name} must be a whole number, 0 or more`, name);
  }
  return value;
}
