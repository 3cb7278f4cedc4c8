import { toFhirDateTime } from '../ingest/hl7/v2-datetime.ts';

const DB_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * A database or JSON time (`2024-03-01 10:15:00.123456`, `2024-03-01T10:15:00+07:00`, a date) as a
 * FHIR dateTime: a time without an offset is local time in `timeZone` (DST-aware, as for HL7 v2);
 * an offset the value carries is kept. Undefined for anything else (the template decides what then).
 */
export function toDateTime(value: unknown, timeZone: string): string | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
  if (typeof value !== 'string') return undefined;
  const match = DB_TIME.exec(value.trim());
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second = '00', fraction = '', offset] = match;
  const date = `${year}-${month}-${day}`;
  if (hour === undefined) return date;
  const millis = fraction ? fraction.slice(0, 4).padEnd(4, '0') : '';
  if (offset) {
    const zone = offset === 'Z' ? 'Z' : normaliseOffset(offset);
    return `${date}T${hour}:${minute}:${second}${millis}${zone}`;
  }
  const v2 = `${year}${month}${day}${hour}${minute}${second}${millis}`;
  return toFhirDateTime(v2, 'dateTime', timeZone);
}

/** The date part (`YYYY-MM-DD`) of a database date or time. */
export function toDate(value: unknown): string | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString().slice(0, 10);
  if (typeof value !== 'string') return undefined;
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(value.trim());
  return match ? `${match[1]}-${match[2]}-${match[3]}` : undefined;
}

function normaliseOffset(offset: string): string {
  const digits = offset.replace(':', '');
  return `${digits.slice(0, 3)}:${digits.slice(3, 5) || '00'}`;
}
