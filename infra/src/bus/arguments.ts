import { BusError } from './errors.ts';

/** A whole number within bounds, else `BusError('INVALID_ARGUMENT')` naming the option. */
export function positiveInteger(name: string, value: unknown, max: number, min = 1): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new BusError('INVALID_ARGUMENT', `${name} must be a whole number from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}
