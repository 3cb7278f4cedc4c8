/**
 * HL7 v2 DTM (and the first component of TS): `YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]`,
 * with real calendar values (no month 13, no 30 February, no hour 24).
 */
const DTM = /^(\d{4})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:\.\d{1,4})?)?)?)?)?)?(?:([+-])(\d{2})(\d{2}))?$/;

export function isHl7DateTime(value: string): boolean {
  const match = DTM.exec(value);
  if (!match) return false;
  const [, year, month, day, hour, minute, second, , offsetHours, offsetMinutes] = match;
  const y = Number(year);
  if (y < 1) return false;
  if (month !== undefined && !inRange(month, 1, 12)) return false;
  if (day !== undefined && !inRange(day, 1, daysInMonth(y, Number(month)))) return false;
  if (hour !== undefined && !inRange(hour, 0, 23)) return false;
  if (minute !== undefined && !inRange(minute, 0, 59)) return false;
  if (second !== undefined && !inRange(second, 0, 59)) return false;
  if (offsetHours !== undefined && (!inRange(offsetHours, 0, 14) || !inRange(offsetMinutes, 0, 59))) return false;
  return true;
}

function inRange(digits: string, min: number, max: number): boolean {
  const value = Number(digits);
  return value >= min && value <= max;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
}
