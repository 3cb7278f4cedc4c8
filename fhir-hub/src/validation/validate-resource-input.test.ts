import { OperationOutcomeError } from '@medplum/core';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, it } from 'vitest';
import { initValidation, MAX_REPORTED_ISSUES, validateFhirResource } from './index.ts';
import { observation, patient } from './sample-resources.ts';

beforeAll(() => {
  initValidation();
});

/** The issues validation throws, or [] when the resource is valid. */
function issuesOf(resource: unknown): OperationOutcomeIssue[] {
  try {
    validateFhirResource(resource);
    return [];
  } catch (err) {
    if (!(err instanceof OperationOutcomeError)) {
      throw err;
    }
    return err.outcome.issue ?? [];
  }
}

describe('validateFhirResource: malformed and hostile input', () => {
  it.each([
    ['null', null],
    ['a string', 'Patient'],
    ['an array', [{ resourceType: 'Patient' }]],
    ['a number', 42],
  ])('rejects %s with a clear error', (_name, input) => {
    const issues = issuesOf(input);
    expect(issues).toHaveLength(1);
    expect(issues[0].details?.text).toMatch(/^A resource must be a JSON object/);
  });

  it('rejects a missing, non-string or unknown resourceType', () => {
    expect(issuesOf({ id: 'x' })).toEqual([expect.objectContaining({ code: 'required', expression: ['resourceType'] })]);
    expect(issuesOf({ resourceType: 7 })[0].details?.text).toContain('must be a string');
    for (const resourceType of ['Spaceship', '__proto__', 'constructor', 'Resource', 'DomainResource', 'HumanName', 'Project']) {
      expect(issuesOf({ resourceType })[0]?.details?.text, resourceType).toContain('Unknown resource type');
    }
  });

  it('rejects very deep nesting without exhausting the stack', () => {
    let extension: Record<string, unknown> = { url: 'https://example.org/leaf', valueString: 'x' };
    for (let i = 0; i < 20_000; i++) {
      extension = { url: 'https://example.org/node', extension: [extension] };
    }
    const issues = issuesOf({ resourceType: 'Patient', extension: [extension] });
    expect(issues).toEqual([expect.objectContaining({ code: 'structure', expression: ['Patient'] })]);
    expect(issues[0].details?.text).toContain('deeper than');
  });

  it('accepts legitimately deep nesting (Questionnaire items 25 levels deep)', () => {
    let item: Record<string, unknown> = { linkId: 'leaf', type: 'string', text: 'q' };
    for (let i = 0; i < 25; i++) {
      item = { linkId: `g${i}`, type: 'group', item: [item] };
    }
    expect(issuesOf({ resourceType: 'Questionnaire', status: 'active', item: [item] })).toEqual([]);
  });

  it('handles very large arrays in linear time and caps the issue list', () => {
    const identifier = Array.from({ length: 20_000 }, (_, i) => ({ use: 'official', system: 'urn:x', value: `v${i}` }));
    const started = performance.now();
    expect(issuesOf({ resourceType: 'Patient', identifier })).toEqual([]);
    expect(performance.now() - started).toBeLessThan(10_000);

    const badIdentifiers = identifier.map((entry) => ({ ...entry, use: 'nope' }));
    const issues = issuesOf({ resourceType: 'Patient', identifier: badIdentifiers });
    expect(issues).toHaveLength(MAX_REPORTED_ISSUES + 1);
    expect(issues[0].expression).toEqual(['Patient.identifier[0].use']);
    expect(issues[MAX_REPORTED_ISSUES]).toMatchObject({ code: 'too-costly', expression: ['Patient'] });
    expect(issues[MAX_REPORTED_ISSUES].details?.text).toContain(`${20_000 - MAX_REPORTED_ISSUES} more`);
  });

  it('does not modify the resource it validates', () => {
    const resource = structuredClone({ ...patient, gender: 'xx' });
    const before = JSON.stringify(resource);
    issuesOf(resource);
    expect(JSON.stringify(resource)).toBe(before);
  });
});

describe('validateFhirResource: speed', () => {
  it('validates a typical Patient and Observation in well under a millisecond after warm-up', () => {
    const rounds = 2_000;
    for (const resource of [patient, observation]) {
      for (let i = 0; i < 200; i++) {
        validateFhirResource(resource);
      }
      const started = performance.now();
      for (let i = 0; i < rounds; i++) {
        validateFhirResource(resource);
      }
      const perCallMs = (performance.now() - started) / rounds;
      // The figure on a quiet machine is ~0.1 ms; the bound leaves room for a loaded CI runner.
      expect(perCallMs, resource.resourceType).toBeLessThan(1);
    }
  });
});
