import { describe, expect, it } from 'vitest';
import { assertValidTimeZone, dicomDateTimeToFhir, dicomDateToFhirDate } from './dicom-date-time.ts';

describe('dicomDateToFhirDate', () => {
  it.each([
    ['20240131', '2024-01-31'],
    ['2024.01.31', '2024-01-31'],
    [' 19450817 ', '1945-08-17'],
    ['20240229', '2024-02-29'],
  ])('%s → %s', (input, expected) => {
    expect(dicomDateToFhirDate(input)).toBe(expected);
  });

  it.each(['', '20230229', '20241301', '00000000', '2024-01-31', '240131', 'UNKNOWN'])('rejects %j', (input) => {
    expect(dicomDateToFhirDate(input)).toBeUndefined();
  });
});

describe('dicomDateTimeToFhir', () => {
  it('uses Timezone Offset From UTC when the object has it', () => {
    expect(dicomDateTimeToFhir('20250909', '141730', '+0700', 'UTC')).toEqual({ value: '2025-09-09T14:17:30+07:00', warning: undefined });
    expect(dicomDateTimeToFhir('20250909', '141730.123456', '-0330', undefined).value).toBe('2025-09-09T14:17:30.123456-03:30');
  });

  it('falls back to the configured zone, with its offset at that date', () => {
    expect(dicomDateTimeToFhir('20250909', '0905', undefined, 'Asia/Jakarta').value).toBe('2025-09-09T09:05:00+07:00');
    expect(dicomDateTimeToFhir('20250909', '09', undefined, 'Asia/Makassar').value).toBe('2025-09-09T09:00:00+08:00');
    // Daylight saving: New York is -04:00 in July and -05:00 in January.
    expect(dicomDateTimeToFhir('20240710', '120000', undefined, 'America/New_York').value).toBe('2024-07-10T12:00:00-04:00');
    expect(dicomDateTimeToFhir('20240110', '120000', undefined, 'America/New_York').value).toBe('2024-01-10T12:00:00-05:00');
    expect(dicomDateTimeToFhir('20240110', '120000', undefined, '+07:00').value).toBe('2024-01-10T12:00:00+07:00');
    expect(dicomDateTimeToFhir('20240110', '120000', undefined, 'UTC').value).toBe('2024-01-10T12:00:00+00:00');
  });

  it('accepts the old HH:MM:SS form', () => {
    expect(dicomDateTimeToFhir('20240110', '08:15:30', '+0700', undefined).value).toBe('2024-01-10T08:15:30+07:00');
  });

  it('keeps only the date when no zone is known, and says why', () => {
    expect(dicomDateTimeToFhir('20240110', '081530', undefined, undefined)).toEqual({
      value: '2024-01-10',
      warning: 'no time zone in the object and none configured: the time was dropped',
    });
  });

  it('ignores an invalid offset in the object in favour of the configured zone, and says so', () => {
    expect(dicomDateTimeToFhir('20240110', '081530', 'WIB', 'Asia/Jakarta')).toEqual({
      value: '2024-01-10T08:15:30+07:00',
      warning: 'ignored invalid Timezone Offset From UTC "WIB"',
    });
  });

  it('drops an invalid time or date with a warning', () => {
    expect(dicomDateTimeToFhir('20240110', '256100', '+0700', undefined)).toEqual({ value: '2024-01-10', warning: 'ignored invalid DICOM time "256100"' });
    expect(dicomDateTimeToFhir('20241310', '081530', '+0700', undefined)).toEqual({ value: undefined, warning: 'ignored invalid DICOM date "20241310"' });
    expect(dicomDateTimeToFhir(undefined, '081530', '+0700', undefined)).toEqual({ value: undefined });
  });
});

describe('assertValidTimeZone', () => {
  it('accepts IANA names and fixed offsets, rejects the rest', () => {
    for (const zone of ['Asia/Jakarta', 'UTC', '+07:00', '-0330', 'Z']) {
      expect(() => assertValidTimeZone(zone)).not.toThrow();
    }
    expect(() => assertValidTimeZone('Asia/Bandung')).toThrow(RangeError);
    expect(() => assertValidTimeZone('+25:00')).toThrow(RangeError);
  });
});
