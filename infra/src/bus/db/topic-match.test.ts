import { describe, expect, it } from 'vitest';
import { bindingMatches } from './topic-match.ts';

describe('bindingMatches (RabbitMQ routing rules)', () => {
  it.each([
    ['#', 'hl7.LAB', true],
    ['#', '', true],
    ['hl7.*', 'hl7.LAB', true],
    ['hl7.*', 'hl7', false],
    ['hl7.*', 'hl7.LAB.x', false],
    ['*.create', 'Patient.create', true],
    ['*.create', 'Patient.update', false],
    ['Patient.#', 'Patient', true],
    ['Patient.#', 'Patient.create.x', true],
    ['#.create', 'a.b.create', true],
    ['#.create', 'a.b.created', false],
    ['a.#.z', 'a.z', true],
    ['a.#.z', 'a.b.c.z', true],
    ['a.#.z', 'a.b.c', false],
    ['dicom.SIMPUL', 'dicom.SIMPUL', true],
    ['dicom.SIMPUL', 'dicom.simpul', false],
  ])('topic %j takes %j: %s', (pattern, key, expected) => {
    expect(bindingMatches('topic', pattern, key)).toBe(expected);
  });

  it('compares direct keys whole (no wildcards)', () => {
    expect(bindingMatches('direct', 'pacs', 'pacs')).toBe(true);
    expect(bindingMatches('direct', 'pacs', 'pacs2')).toBe(false);
    expect(bindingMatches('direct', '#', 'pacs')).toBe(false);
  });

  it('fanout takes everything, headers exchanges nothing', () => {
    expect(bindingMatches('fanout', 'x', 'y')).toBe(true);
    expect(bindingMatches('headers', '', '')).toBe(false);
  });

  it('stays fast on hostile patterns', () => {
    const pattern = Array.from({ length: 60 }, () => '#').join('.') + '.x';
    const key = Array.from({ length: 200 }, () => 'a').join('.');
    expect(bindingMatches('topic', pattern, key)).toBe(false);
  });
});
