import { beforeAll, describe, expect, test } from 'vitest';
import { loadFhirDefinitions } from '../definitions/load-definitions.ts';
import { grantableResourceScopes, parseSmartScope, parseSmartScopes, scopeCovers } from './smart-scopes.ts';

beforeAll(() => loadFhirDefinitions());

const LAB = 'category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory';

describe('parseSmartScope', () => {
  test.each([
    ['patient/Observation.read', 'patient', 'Observation', 'rs'],
    ['user/*.*', 'user', '*', 'cruds'],
    ['system/*.write', 'system', '*', 'cud'],
    ['patient/Observation.rs', 'patient', 'Observation', 'rs'],
    ['user/Patient.cu', 'user', 'Patient', 'cu'],
    ['system/*.cruds', 'system', '*', 'cruds'],
    ['system/Encounter.d', 'system', 'Encounter', 'd'],
  ])('%s', (raw, context, resourceType, letters) => {
    const scope = parseSmartScope(raw);
    expect(scope).toMatchObject({ raw, context, resourceType });
    expect([...(scope?.permissions ?? [])].sort().join('')).toBe([...letters].sort().join(''));
  });

  test('v2 granular scope keeps a normalised query', () => {
    const scope = parseSmartScope(`patient/Observation.rs?${LAB}`);
    expect(scope?.query).toBe(LAB);
    expect(parseSmartScope('patient/Observation.rs?category=http%3A%2F%2Fx%7Clab')?.query).toBe('category=http://x|lab');
  });

  test.each([
    'patient/Observation.sr', // v2 letters out of order
    'patient/Observation.x',
    'patient/Observation.',
    'admin/Observation.read',
    'patient/NotAType.read',
    'patient/observation.read',
    'patient/Observation.read?category=lab', // v1 has no query
    'patient/*.rs?category=lab', // a query needs a type
    'patient/Observation.rs?nonsense=1',
    'patient/Observation.rs?_include=Observation:subject',
    'patient/Observation.rs?subject.name=x',
    'patient/Observation.rs?category=',
    'openid',
    '',
    'patient/Observation.rs extra',
  ])('refuses %j', (raw) => {
    expect(parseSmartScope(raw)).toBeUndefined();
  });

  test('parseSmartScopes skips OIDC words and duplicates', () => {
    expect(parseSmartScopes('openid fhirUser patient/Observation.rs patient/Observation.rs launch/patient').map((s) => s.raw)).toEqual([
      'patient/Observation.rs',
    ]);
  });
});

describe('what a client may be granted', () => {
  const allowed = ['user/*.rs', `patient/Observation.rs?${LAB}`, 'system/*.*', 'admin'];

  test('narrower scopes are covered, wider ones never', () => {
    const p = (s: string) => parseSmartScope(s)!;
    expect(scopeCovers(p('user/*.*'), p('user/Observation.rs'))).toBe(true);
    expect(scopeCovers(p('user/*.read'), p('user/Observation.rs'))).toBe(true);
    expect(scopeCovers(p('user/*.read'), p('user/Observation.cu'))).toBe(false);
    expect(scopeCovers(p('user/Observation.rs'), p('user/*.rs'))).toBe(false);
    expect(scopeCovers(p('user/*.*'), p('patient/Observation.rs'))).toBe(false);
    expect(scopeCovers(p('patient/Observation.rs'), p(`patient/Observation.rs?${LAB}`))).toBe(true);
    expect(scopeCovers(p(`patient/Observation.rs?${LAB}`), p('patient/Observation.rs'))).toBe(false);
  });

  test('grantableResourceScopes keeps what is covered in the allowed contexts', () => {
    const requested = ['openid', 'user/Observation.rs', 'user/Observation.c', `patient/Observation.r?${LAB}`, 'patient/Observation.rs', 'system/*.rs', 'admin'];
    expect(grantableResourceScopes(requested, allowed, ['patient', 'user'])).toEqual(['user/Observation.rs', `patient/Observation.r?${LAB}`]);
    expect(grantableResourceScopes(requested, allowed, ['system'])).toEqual(['system/*.rs', 'admin']);
    expect(grantableResourceScopes(['admin'], ['system/*.*'], ['system'])).toEqual([]);
  });
});
