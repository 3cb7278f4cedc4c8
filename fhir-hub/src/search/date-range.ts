/**
 * FHIR date, dateTime and instant strings as closed ranges of instants (epoch milliseconds).
 * A value covers everything its precision allows: "2024" is the whole year, "2024-02" the whole
 * of February (29 days that year), "2024-02-10T10:30" the whole minute. Used for stored values and
 * for search values alike, which is what the FHIR search rules for dates compare.
 * (Written here rather than taken from core because core's toPeriod lets "2024-02" run to 2 March.)
 */

export interface InstantRange {
  /** First millisecond covered. */
  low: number;
  /** Last millisecond covered (inclusive). */
  high: number;
}

const DATE_TIME =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

const MS_PER_MINUTE = 60_000;

/** Parses a FHIR date/dateTime/instant (or a search date value); undefined when it is not one. */
export function parseDateRange(input: string): InstantRange | undefined {
  const m = DATE_TIME.exec(input.trim());
  if (!m) {
    return undefined;
  }
  const [, y, mo, d, h, mi, s, fraction, zone] = m;
  const year = Number(y);
  const month = mo === undefined ? undefined : Number(mo);
  const day = d === undefined ? undefined : Number(d);
  if (year < 1 || (month !== undefined && (month < 1 || month > 12))) {
    return undefined;
  }
  if (day !== undefined && (day < 1 || day > daysInMonth(year, month as number))) {
    return undefined;
  }
  if (h !== undefined && (Number(h) > 23 || Number(mi) > 59 || (s !== undefined && Number(s) > 59))) {
    return undefined;
  }

  if (month === undefined) {
    return { low: utc(year, 0, 1), high: utc(year + 1, 0, 1) - 1 };
  }
  if (day === undefined) {
    return { low: utc(year, month - 1, 1), high: utc(year, month, 1) - 1 };
  }
  if (h === undefined) {
    const low = utc(year, month - 1, day);
    return { low, high: utc(year, month - 1, day + 1) - 1 };
  }

  const offset = zoneOffsetMinutes(zone) * MS_PER_MINUTE;
  const minuteStart = utc(year, month - 1, day, Number(h), Number(mi)) - offset;
  if (s === undefined) {
    return { low: minuteStart, high: minuteStart + MS_PER_MINUTE - 1 };
  }
  const secondStart = minuteStart + Number(s) * 1000;
  if (fraction === undefined) {
    return { low: secondStart, high: secondStart + 999 };
  }
  // ".5" covers 500-599 ms, ".123" (or finer) is one millisecond.
  const digits = Math.min(fraction.length, 3);
  const step = 10 ** (3 - digits);
  const low = secondStart + Number(fraction.slice(0, digits)) * step;
  return { low, high: low + step - 1 };
}

/** Instant as PostgreSQL timestamptz input; out-of-range or infinite values become ±infinity. */
export function toTimestampLiteral(ms: number): string {
  if (ms === Number.POSITIVE_INFINITY || ms > MAX_TIMESTAMP_MS) {
    return 'infinity';
  }
  if (ms === Number.NEGATIVE_INFINITY || ms < MIN_TIMESTAMP_MS) {
    return '-infinity';
  }
  return new Date(ms).toISOString();
}

const MIN_TIMESTAMP_MS = utc(1, 0, 1);
const MAX_TIMESTAMP_MS = utc(10000, 0, 1) - 1;

function utc(year: number, monthIndex: number, day: number, hours = 0, minutes = 0): number {
  // Date.UTC maps years 0-99 to 1900-1999; setUTCFullYear does not.
  const date = new Date(0);
  date.setUTCFullYear(year, monthIndex, day);
  date.setUTCHours(hours, minutes, 0, 0);
  return date.getTime();
}

function daysInMonth(year: number, month: number): number {
  return new Date(utc(year, month, 1) - 1).getUTCDate();
}

function zoneOffsetMinutes(zone: string | undefined): number {
  if (!zone || zone === 'Z') {
    return 0;
  }
  const sign = zone.startsWith('-') ? -1 : 1;
  return sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
}
