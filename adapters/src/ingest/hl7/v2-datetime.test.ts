import { describe, expect, it } from 'vitest';
import { MappingError } from './mapping-error.ts';
import { addMinutes, toFhirDate, toFhirDateTime, toFhirInstant } from './v2-datetime.ts';

describe('v2 timestamps → FHIR', () => {
  it.each([
    ['2024', '2024'],
    ['202401', '2024-01'],
    ['20240105', '2024-01-05'],
    ['2024010508', '2024-01-05T08:00:00+07:00'],
    ['202401050830', '2024-01-05T08:30:00+07:00'],
    ['20240105083015', '2024-01-05T08:30:15+07:00'],
    ['20240105083015.1234', '2024-01-05T08:30:15.1234+07:00'],
    ['20240105083015+0000', '2024-01-05T08:30:15+00:00'],
    ['202401050830-0530', '2024-01-05T08:30:00-05:30'],
    ['20240229', '2024-02-29'],
  ])('dateTime %s → %s (Asia/Jakarta)', (raw, expected) => {
    expect(toFhirDateTime(raw, 'OBX-14', 'Asia/Jakarta')).toBe(expected);
  });

  it('applies the offset the zone observes on that date (DST)', () => {
    expect(toFhirDateTime('202407011200', 'PV1-44', 'America/New_York')).toBe('2024-07-01T12:00:00-04:00');
    expect(toFhirDateTime('202401011200', 'PV1-44', 'America/New_York')).toBe('2024-01-01T12:00:00-05:00');
    expect(toFhirDateTime('202401011200', 'PV1-44', 'Asia/Makassar')).toBe('2024-01-01T12:00:00+08:00');
  });

  it('keeps only the date for FHIR date elements, at the precision sent', () => {
    expect(toFhirDate('19800112', 'PID-7')).toBe('1980-01-12');
    expect(toFhirDate('198001', 'PID-7')).toBe('1980-01');
    expect(toFhirDate('198001120815', 'PID-7')).toBe('1980-01-12');
  });

  it('pads a date-only instant to local midnight', () => {
    expect(toFhirInstant('20240106', 'OBR-22', 'Asia/Jakarta')).toBe('2024-01-06T00:00:00+07:00');
  });

  it('reads empty as absent', () => {
    expect(toFhirDateTime('', 'PV1-45', 'Asia/Jakarta')).toBeUndefined();
  });

  it.each(['19801345', '20230229', '20240431', '2024010525', '202401050860', '20240105083061', '2024-01-05', 'abc', '198', '20240105+2500', '0000'])(
    '%s is a MappingError naming the field',
    (raw) => {
      let error: unknown;
      try {
        toFhirDate(raw, 'PID-7');
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(MappingError);
      expect((error as MappingError).field).toBe('PID-7');
      expect((error as MappingError).message).toBe(`PID-7: "${raw}" is not a valid HL7 date`);
      expect((error as MappingError).permanent).toBe(true);
    },
  );

  it('adds minutes keeping the offset', () => {
    expect(addMinutes('2024-01-10T23:45:00+07:00', 30)).toBe('2024-01-11T00:15:00+07:00');
  });
});
