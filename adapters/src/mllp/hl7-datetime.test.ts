import { describe, expect, it } from 'vitest';
import { isHl7DateTime } from './hl7-datetime.ts';

describe('isHl7DateTime', () => {
  it.each(['2024', '202402', '20240229', '2024022913', '202402291330', '20240229133059', '20240229133059.1234', '20240229133059+0700', '202402291330-0500'])(
    'accepts %s',
    (value) => expect(isHl7DateTime(value)).toBe(true),
  );

  it.each([
    ['20230229', 'no 29 February in 2023'],
    ['20241301', 'month 13'],
    ['20240100', 'day 0'],
    ['2024043112', '31 April'],
    ['2024010124', 'hour 24'],
    ['202401011260', 'minute 60'],
    ['20240101120060', 'second 60'],
    ['2024-01-01', 'ISO punctuation'],
    ['2024010', 'odd number of digits'],
    ['20240101+07', 'short offset'],
    ['20240101+1500', 'offset past 14 hours'],
    ['00000000', 'year 0'],
    ['abc', 'letters'],
    ['', 'empty'],
  ])('refuses %s (%s)', (value) => expect(isHl7DateTime(value)).toBe(false));
});
