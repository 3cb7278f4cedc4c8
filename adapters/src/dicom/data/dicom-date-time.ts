/**
 * DICOM DA / TM (+ Timezone Offset From UTC) to FHIR date and dateTime. A FHIR dateTime with a time must
 * carry a zone, so a time is only kept when the zone is known: from (0008,0201) in the object, else from
 * the configured default zone (an IANA name such as "Asia/Jakarta" or a fixed offset such as "+07:00").
 */

export interface FhirDateTimeResult {
  readonly value: string | undefined;
  /** Why part of the input was dropped (an invalid date, a time without a known zone...). */
  readonly warning?: string;
}

/** "20240131" (or the old "2024.01.31") → "2024-01-31"; undefined for empty or impossible dates. */
export function dicomDateToFhirDate(value: string | undefined): string | undefined {
  const parts = parseDicomDate(value);
  return parts && `${parts.year}-${parts.month}-${parts.day}`;
}

/**
 * DA + TM → FHIR dateTime. Partial times ("14", "1430") are completed with zeros; the fraction is kept.
 * `timezoneOffsetFromUtc` is the raw (0008,0201) value ("+0700"); `defaultTimeZone` the configured zone.
 */
export function dicomDateTimeToFhir(
  date: string | undefined,
  time: string | undefined,
  timezoneOffsetFromUtc: string | undefined,
  defaultTimeZone: string | undefined,
): FhirDateTimeResult {
  if (!date?.trim()) {
    return { value: undefined };
  }
  const day = parseDicomDate(date);
  if (!day) {
    return { value: undefined, warning: `ignored invalid DICOM date ${JSON.stringify(date)}` };
  }
  const dateText = `${day.year}-${day.month}-${day.day}`;
  if (!time?.trim()) {
    return { value: dateText };
  }
  const clock = parseDicomTime(time);
  if (!clock) {
    return { value: dateText, warning: `ignored invalid DICOM time ${JSON.stringify(time)}` };
  }
  const explicitOffset = timezoneOffsetFromUtc?.trim() ? parseUtcOffset(timezoneOffsetFromUtc) : undefined;
  let offset = explicitOffset;
  let warning: string | undefined;
  if (timezoneOffsetFromUtc?.trim() && explicitOffset === undefined) {
    warning = `ignored invalid Timezone Offset From UTC ${JSON.stringify(timezoneOffsetFromUtc)}`;
  }
  if (offset === undefined && defaultTimeZone) {
    offset = offsetOfZoneAtLocalTime(defaultTimeZone, day, clock);
  }
  if (offset === undefined) {
    return { value: dateText, warning: warning ?? 'no time zone in the object and none configured: the time was dropped' };
  }
  const fraction = clock.fraction ? `.${clock.fraction}` : '';
  return { value: `${dateText}T${clock.hour}:${clock.minute}:${clock.second}${fraction}${offset}`, warning };
}

/** Throws RangeError unless `zone` is an IANA zone name or a fixed offset ("+07:00", "+0700", "Z"). */
export function assertValidTimeZone(zone: string): void {
  if (parseUtcOffset(zone) !== undefined) {
    return;
  }
  formatterFor(zone);
}

interface DateParts {
  year: string;
  month: string;
  day: string;
}

interface TimeParts {
  hour: string;
  minute: string;
  second: string;
  fraction: string;
}

function parseDicomDate(value: string | undefined): DateParts | undefined {
  const match = /^(\d{4})\.?(\d{2})\.?(\d{2})$/.exec(value?.trim() ?? '');
  if (!match) {
    return undefined;
  }
  const [, year, month, day] = match;
  const y = Number(year);
  const m = Number(month);
  const d = Number(day);
  const check = new Date(Date.UTC(y, m - 1, d));
  if (y < 1 || check.getUTCFullYear() !== y || check.getUTCMonth() !== m - 1 || check.getUTCDate() !== d) {
    return undefined;
  }
  return { year, month, day };
}

function parseDicomTime(value: string): TimeParts | undefined {
  // ACR-NEMA style "14:30:00" is still sent by old modalities.
  const match = /^(\d{2})(?::?(\d{2})(?::?(\d{2})(?:\.(\d{1,6}))?)?)?$/.exec(value.trim());
  if (!match) {
    return undefined;
  }
  const [, hour, minute = '00', second = '00', fraction = ''] = match;
  if (Number(hour) > 23 || Number(minute) > 59 || Number(second) > 60) {
    return undefined;
  }
  return { hour, minute, second, fraction };
}

/** "+0700" / "+07:00" / "-0330" / "Z" → "+07:00"; undefined when it is not an offset. */
function parseUtcOffset(value: string): string | undefined {
  const text = value.trim();
  if (text === 'Z') {
    return '+00:00';
  }
  const match = /^([+-])(\d{2}):?(\d{2})$/.exec(text);
  if (!match || Number(match[2]) > 14 || Number(match[3]) > 59) {
    return undefined;
  }
  return `${match[1]}${match[2]}:${match[3]}`;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' });
    formatters.set(zone, formatter);
  }
  return formatter;
}

function offsetOfZoneAtLocalTime(zone: string, day: DateParts, clock: TimeParts): string {
  const fixed = parseUtcOffset(zone);
  if (fixed !== undefined) {
    return fixed;
  }
  const wallClockAsUtc = Date.UTC(
    Number(day.year),
    Number(day.month) - 1,
    Number(day.day),
    Number(clock.hour),
    Number(clock.minute),
    Math.min(59, Number(clock.second)),
  );
  // The offset at the wall-clock time read as UTC is right except within hours of a DST change; asking
  // again at the corrected instant settles it.
  const firstGuess = offsetMinutesAt(zone, wallClockAsUtc);
  const minutes = offsetMinutesAt(zone, wallClockAsUtc - firstGuess * 60_000);
  const sign = minutes < 0 ? '-' : '+';
  const absolute = Math.abs(minutes);
  return `${sign}${String(Math.floor(absolute / 60)).padStart(2, '0')}:${String(absolute % 60).padStart(2, '0')}`;
}

function offsetMinutesAt(zone: string, epochMs: number): number {
  const name = formatterFor(zone).formatToParts(new Date(epochMs)).find((part) => part.type === 'timeZoneName')?.value ?? 'GMT';
  const match = /^GMT([+-])(\d{2}):(\d{2})$/.exec(name);
  if (!match) {
    return 0;
  }
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  return match[1] === '-' ? -minutes : minutes;
}
