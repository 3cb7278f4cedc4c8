import { isPlainObject } from './fhir-json.ts';

/** A FHIR date or dateTime with at least a day: `2014-06-03`, `2023-08-31T02:05:00+00:00`. */
const DAY_PRECISION_DATE = /^(\d{4}-\d{2}-\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?$/;

/** Elements whose dates are not about care given (and so may be old). */
const SKIPPED_KEYS = new Set(['identifier', 'meta', 'birthDate', 'text']);

export interface EarlyDate {
  expression: string;
  value: string;
}

/**
 * Every date or dateTime in the resource before `floor` (SATUSEHAT refuses dates before
 * 2014-06-03, section 9). Compared on the calendar day as written.
 */
export function datesBefore(resource: Record<string, unknown>, floor: string, path: string): EarlyDate[] {
  const found: EarlyDate[] = [];
  walk(resource, path, floor, found);
  return found;
}

function walk(value: unknown, path: string, floor: string, found: EarlyDate[]): void {
  if (typeof value === 'string') {
    const day = DAY_PRECISION_DATE.exec(value)?.[1];
    if (day !== undefined && day < floor) found.push({ expression: path, value });
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => walk(item, `${path}[${index}]`, floor, found));
  } else if (isPlainObject(value)) {
    for (const [key, child] of Object.entries(value)) {
      if (!SKIPPED_KEYS.has(key)) walk(child, `${path}.${key}`, floor, found);
    }
  }
}
