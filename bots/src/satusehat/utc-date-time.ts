/** A FHIR dateTime with a time of day; FHIR requires the zone whenever the time is given. */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
const PARTIAL_DATE = /^\d{4}(?:-\d{2}(?:-\d{2})?)?$/;

/**
 * A FHIR date or dateTime as SATUSEHAT wants it (§9: dateTimes in UTC, written `+00:00`):
 * `2025-09-09T14:17:30+07:00` → `2025-09-09T07:17:30+00:00`. Dates without a time are sent as they
 * are. Undefined for anything else (a time without a zone, text that is no date), so the caller can
 * leave the element out rather than send a guess.
 */
export function toUtcDateTime(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (PARTIAL_DATE.test(text)) return text;
  if (!DATE_TIME.test(text)) return undefined;
  const at = new Date(text);
  if (Number.isNaN(at.getTime())) return undefined;
  return `${at.toISOString().slice(0, 19)}+00:00`;
}
