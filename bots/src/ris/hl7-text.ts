/**
 * Text and time values as HL7 v2 writes them, with the standard delimiters `|^~\&` (the only set
 * this driver sends, declared in MSH-1/MSH-2).
 */

/** Escapes one leaf value: `\` → `\E\` first, then `|` `^` `&` `~`; control characters become spaces. */
export function escapeHl7(text: string): string {
  return (
    text
      .replace(/\\/g, '\\E\\')
      .replace(/\|/g, '\\F\\')
      .replace(/\^/g, '\\S\\')
      .replace(/&/g, '\\T\\')
      .replace(/~/g, '\\R\\')
      // A CR would end the segment and VT/FS would break the MLLP frame; no leaf value here needs them.
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f]+/g, ' ')
      .trim()
  );
}

/** Decodes `\F\ \S\ \T\ \R\ \E\` and `\Xhh\` in a value read from a message; other sequences are kept as sent. */
export function unescapeHl7(text: string): string {
  return text.replace(/\\([FSTRE]|X(?:[0-9A-Fa-f]{2})+|\.br)\\/g, (sequence, code: string) => {
    switch (code) {
      case 'F':
        return '|';
      case 'S':
        return '^';
      case 'T':
        return '&';
      case 'R':
        return '~';
      case 'E':
        return '\\';
      case '.br':
        return '\n';
      default:
        return new TextDecoder('utf-8').decode(Buffer.from(code.slice(1), 'hex'));
    }
  });
}

/** Components joined with `^`, each escaped; trailing empty components dropped. */
export function components(...values: (string | undefined)[]): string {
  const escaped = values.map((value) => (value === undefined ? '' : escapeHl7(value)));
  while (escaped.length > 0 && escaped[escaped.length - 1] === '') escaped.pop();
  return escaped.join('^');
}

/** A `Date` as an HL7 TS in UTC: `YYYYMMDDHHMMSS+0000`. */
export function hl7Timestamp(date: Date): string {
  const iso = date.toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}+0000`;
}

const FHIR_DATE_TIME = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

/**
 * A FHIR date or dateTime as an HL7 DTM with the precision and the offset it was written with
 * (`2024-05-01T08:30:00+07:00` → `20240501083000+0700`, `Z` → `+0000`, `1980-03` → `198003`).
 * Undefined for text that is not a FHIR date/dateTime.
 */
export function hl7DateTime(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const match = FHIR_DATE_TIME.exec(value.trim());
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, zone] = match;
  let text = year + (month ?? '') + (day ?? '') + (hour ?? '') + (minute ?? '') + (second ?? '');
  if (hour !== undefined && zone) {
    text += zone === 'Z' ? '+0000' : zone.replace(':', '');
  }
  return text;
}
