import { MappingError } from './mapping-error.ts';

/**
 * HL7 v2 timestamps (TS/DTM/DT): `YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]` → FHIR.
 * The precision the sender gave is kept (a year stays a year; FHIR needs seconds once a time is
 * present, so those are filled with zeros). A time without an offset is local time in the source's
 * configured IANA zone (the offset in force on that date, so DST zones work too). Anything that is
 * not a real calendar date or clock time is a MappingError naming the field.
 */

const V2_TIMESTAMP = /^(\d{4})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:\.(\d{1,4}))?)?)?)?)?)?(?:([+-])(\d{2})(\d{2}))?$/;

export interface V2Timestamp {
  readonly year: number;
  readonly month?: number;
  readonly day?: number;
  readonly hour?: number;
  readonly minute?: number;
  readonly second?: number;
  /** Fraction digits exactly as sent ("5", "123"). */
  readonly fraction?: string;
  /** Offset in minutes east of UTC, when the sender gave one. */
  readonly offsetMinutes?: number;
}

/** Parses and validates; '' → undefined. `field` names the source field in errors (`PID-7`). */
export function parseV2Timestamp(raw: string, field: string, kind = 'date'): V2Timestamp | undefined {
  const text = raw.trim();
  if (!text) {
    return undefined;
  }
  const invalid = (): MappingError => new MappingError({ field, reason: `"${text}" is not a valid HL7 ${kind}` });
  const match = V2_TIMESTAMP.exec(text);
  if (!match) {
    throw invalid();
  }
  const [, y, mo, d, h, mi, s, fraction, sign, offH, offM] = match;
  const timestamp: V2Timestamp = {
    year: Number(y),
    month: mo === undefined ? undefined : Number(mo),
    day: d === undefined ? undefined : Number(d),
    hour: h === undefined ? undefined : Number(h),
    minute: mi === undefined ? undefined : Number(mi),
    second: s === undefined ? undefined : Number(s),
    fraction,
    offsetMinutes: sign === undefined ? undefined : (sign === '-' ? -1 : 1) * (Number(offH) * 60 + Number(offM)),
  };
  if (!isValid(timestamp, offH, offM)) {
    throw invalid();
  }
  return timestamp;
}

function isValid(t: V2Timestamp, offH: string | undefined, offM: string | undefined): boolean {
  if (t.year < 1) {
    return false;
  }
  if (t.month !== undefined && (t.month < 1 || t.month > 12)) {
    return false;
  }
  if (t.day !== undefined && (t.day < 1 || t.day > daysInMonth(t.year, t.month ?? 1))) {
    return false;
  }
  if ((t.hour ?? 0) > 23 || (t.minute ?? 0) > 59 || (t.second ?? 0) > 59) {
    return false;
  }
  return offH === undefined || (Number(offH) <= 14 && Number(offM) <= 59);
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** FHIR `date` (birthDate and the like): the date part only, at the precision sent. */
export function toFhirDate(raw: string, field: string): string | undefined {
  const t = parseV2Timestamp(raw, field);
  return t && datePart(t);
}

/** FHIR `dateTime`: date-only values stay dates; a time gets seconds and an offset. */
export function toFhirDateTime(raw: string, field: string, timeZone: string): string | undefined {
  const t = parseV2Timestamp(raw, field);
  if (!t) {
    return undefined;
  }
  if (t.hour === undefined) {
    return datePart(t);
  }
  return withTime(t, timeZone);
}

/**
 * FHIR `instant`: needs a full time. A date-only value becomes midnight local time, which is what
 * a sender that leaves the time off means for "issued" or "recorded".
 */
export function toFhirInstant(raw: string, field: string, timeZone: string): string | undefined {
  const t = parseV2Timestamp(raw, field);
  if (!t) {
    return undefined;
  }
  return withTime({ ...t, month: t.month ?? 1, day: t.day ?? 1, hour: t.hour ?? 0 }, timeZone);
}

function datePart(t: V2Timestamp): string {
  let text = pad(t.year, 4);
  if (t.month !== undefined) {
    text += `-${pad(t.month)}`;
    if (t.day !== undefined) {
      text += `-${pad(t.day)}`;
    }
  }
  return text;
}

function withTime(t: V2Timestamp, timeZone: string): string {
  const month = t.month ?? 1;
  const day = t.day ?? 1;
  const hour = t.hour ?? 0;
  const minute = t.minute ?? 0;
  const second = t.second ?? 0;
  const offset = t.offsetMinutes ?? zoneOffsetMinutes(timeZone, t.year, month, day, hour, minute, second);
  const fraction = t.fraction ? `.${t.fraction}` : '';
  return `${pad(t.year, 4)}-${pad(month)}-${pad(day)}T${pad(hour)}:${pad(minute)}:${pad(second)}${fraction}${formatOffset(offset)}`;
}

function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

const zoneFormats = new Map<string, Intl.DateTimeFormat>();

function zoneFormat(timeZone: string): Intl.DateTimeFormat {
  let format = zoneFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    zoneFormats.set(timeZone, format);
  }
  return format;
}

/** Minutes east of UTC that `timeZone` observes at the UTC instant `utcMillis`. */
function offsetAt(timeZone: string, utcMillis: number): number {
  const parts: Record<string, number> = {};
  for (const part of zoneFormat(timeZone).formatToParts(new Date(utcMillis))) {
    if (part.type !== 'literal') {
      parts[part.type] = Number(part.value);
    }
  }
  const wallClock = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  return Math.round((wallClock - Math.floor(utcMillis / 1000) * 1000) / 60_000);
}

/** Offset in force in `timeZone` at a local wall-clock time (first guess, then corrected once). */
export function zoneOffsetMinutes(
  timeZone: string,
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): number {
  const wallAsUtc = Date.UTC(year, month - 1, day, hour, minute, second);
  const guess = offsetAt(timeZone, wallAsUtc);
  return offsetAt(timeZone, wallAsUtc - guess * 60_000);
}

/** True when `timeZone` is an IANA zone this runtime knows. */
export function isKnownTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch (error) {
    if (error instanceof RangeError) {
      return false;
    }
    throw error;
  }
}

/** Adds minutes to a FHIR dateTime that has a time and an offset, keeping that offset. */
export function addMinutes(dateTime: string, minutes: number): string {
  const match = /([+-])(\d{2}):(\d{2})$/.exec(dateTime);
  const offset = match ? (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3])) : 0;
  const shifted = new Date(Date.parse(dateTime) + (minutes + offset) * 60_000);
  const text = shifted.toISOString().slice(0, 19);
  return `${text}${formatOffset(offset)}`;
}
