import { describe, expect, it } from 'vitest';
import { components, escapeHl7, hl7DateTime, hl7Timestamp, unescapeHl7 } from './hl7-text.ts';
import { controlIdFor } from './order-fields.ts';

describe('escapeHl7 / unescapeHl7', () => {
  it('escapes the escape character first, then each delimiter', () => {
    expect(escapeHl7('a|b^c&d~e\\f')).toBe('a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f');
    expect(escapeHl7('\\F\\')).toBe('\\E\\F\\E\\');
  });

  it('turns control characters (segment and frame breakers) into spaces', () => {
    expect(escapeHl7('one\rtwo\nthree\u000bfour\u001cfive')).toBe('one two three four five');
  });

  it('round-trips any text without control characters', () => {
    for (const text of ['|^~\\&', '\\\\F\\', 'Sänger & Söhne', 'x\\X41\\y', '日本']) {
      expect(unescapeHl7(escapeHl7(text))).toBe(text);
    }
  });

  it('decodes hex escapes and keeps unknown sequences', () => {
    expect(unescapeHl7('\\X4142\\ \\Z99\\')).toBe('AB \\Z99\\');
  });

  it('joins components and drops trailing empty ones', () => {
    expect(components('a', undefined, 'b^c', '', undefined)).toBe('a^^b\\S\\c');
    expect(components(undefined, undefined)).toBe('');
  });
});

describe('times', () => {
  it('writes now in UTC with +0000', () => {
    expect(hl7Timestamp(new Date('2024-12-31T23:59:58.999Z'))).toBe('20241231235958+0000');
  });

  it('keeps the precision and offset of a FHIR date/dateTime', () => {
    expect(hl7DateTime('2024-05-02T08:30:00+07:00')).toBe('20240502083000+0700');
    expect(hl7DateTime('2024-05-02T08:30:00.123Z')).toBe('20240502083000+0000');
    expect(hl7DateTime('2024-05-02')).toBe('20240502');
    expect(hl7DateTime('1980-03')).toBe('198003');
    expect(hl7DateTime('1980')).toBe('1980');
  });

  it('refuses what is not a FHIR date', () => {
    expect(hl7DateTime('02/05/2024')).toBeUndefined();
    expect(hl7DateTime('2024-05-02T08:30:00+07:00|evil')).toBeUndefined();
    expect(hl7DateTime(undefined)).toBeUndefined();
  });
});

describe('controlIdFor', () => {
  it('is 20 characters from a fixed alphabet, the same for the same key and different for another', () => {
    const id = controlIdFor('0b8f5b1e-3c1d-4f3e-9a57-7d7c5f0e2a11');
    expect(id).toMatch(/^[0-9A-Z]{20}$/);
    expect(controlIdFor('0b8f5b1e-3c1d-4f3e-9a57-7d7c5f0e2a11')).toBe(id);
    expect(controlIdFor('0b8f5b1e-3c1d-4f3e-9a57-7d7c5f0e2a12')).not.toBe(id);
  });
});
