import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestHub, type TestHub, type TestResponse } from './support/test-hub.ts';

const GENDER = 'http://hl7.org/fhir/administrative-gender';
const GENDER_VS = 'http://hl7.org/fhir/ValueSet/administrative-gender';
const V2_0001 = 'http://terminology.hl7.org/CodeSystem/v2-0001';
const V2_0001_MAP = 'https://simpul.dev/fhir/ConceptMap/v2-0001-to-administrative-gender';
const FHIR = '/fhir/R4';

const LOCAL_LAB = 'https://rs-sehat.example/fhir/CodeSystem/lab';

/** Parameters.parameter by name: the first value, or every part list for repeated ones. */
function param(body: any, name: string): any {
  const found = (body.parameter ?? []).find((p: any) => p.name === name);
  if (!found) return undefined;
  const key = Object.keys(found).find((k) => k.startsWith('value'));
  return key ? found[key] : found.part;
}

function errorCode(response: TestResponse): string | undefined {
  return response.body?.issue?.[0]?.details?.coding?.[0]?.code;
}

function parameters(...parameter: object[]): object {
  return { resourceType: 'Parameters', parameter };
}

describe('terminology operations over HTTP', () => {
  let hub: TestHub;
  let codeSystemId: string;
  let valueSetId: string;
  let conceptMapId: string;

  beforeAll(async () => {
    hub = await createTestHub();
    const codeSystem = await hub.request('POST', `${FHIR}/CodeSystem`, {
      resourceType: 'CodeSystem',
      url: LOCAL_LAB,
      version: '2',
      name: 'RsSehatLab',
      status: 'active',
      content: 'complete',
      concept: [
        { code: 'GLU', display: 'Glucose', concept: [{ code: 'GLU-F', display: 'Glucose fasting' }] },
        { code: 'HB', display: 'Haemoglobin' },
      ],
    });
    expect(codeSystem.status).toBe(201);
    codeSystemId = codeSystem.body.id;
    const valueSet = await hub.request('POST', `${FHIR}/ValueSet`, {
      resourceType: 'ValueSet',
      url: 'https://rs-sehat.example/fhir/ValueSet/glucose',
      status: 'active',
      compose: { include: [{ system: LOCAL_LAB, filter: [{ property: 'concept', op: 'is-a', value: 'GLU' }] }] },
    });
    expect(valueSet.status).toBe(201);
    valueSetId = valueSet.body.id;
    const conceptMap = await hub.request('POST', `${FHIR}/ConceptMap`, {
      resourceType: 'ConceptMap',
      url: 'https://rs-sehat.example/fhir/ConceptMap/lab-to-loinc',
      status: 'active',
      group: [{ source: LOCAL_LAB, target: 'http://loinc.org', element: [{ code: 'GLU-F', target: [{ code: '1558-6', equivalence: 'equivalent' }] }] }],
    });
    expect(conceptMap.status).toBe(201);
    conceptMapId = conceptMap.body.id;
  });
  afterAll(async () => {
    await hub?.close();
  });

  describe('CodeSystem/$lookup', () => {
    test('GET with system and code returns name, display and properties', async () => {
      const response = await hub.request('GET', `${FHIR}/CodeSystem/$lookup?system=${GENDER}&code=female`);
      expect(response.status).toBe(200);
      expect(response.body.resourceType).toBe('Parameters');
      expect(param(response.body, 'name')).toBe('AdministrativeGender');
      expect(param(response.body, 'display')).toBe('Female');
    });

    test('POST with a coding and a property filter', async () => {
      const response = await hub.request(
        'POST',
        `${FHIR}/CodeSystem/$lookup`,
        parameters({ name: 'coding', valueCoding: { system: LOCAL_LAB, code: 'GLU-F' } }, { name: 'property', valueCode: 'parent' }),
      );
      expect(response.status).toBe(200);
      expect(param(response.body, 'display')).toBe('Glucose fasting');
      expect(param(response.body, 'version')).toBe('2');
      const property = param(response.body, 'property');
      expect(property).toEqual([{ name: 'code', valueCode: 'parent' }, { name: 'value', valueCode: 'GLU' }]);
    });

    test('instance form reads the CodeSystem by id', async () => {
      const response = await hub.request('GET', `${FHIR}/CodeSystem/${codeSystemId}/$lookup?code=HB`);
      expect(response.status).toBe(200);
      expect(param(response.body, 'display')).toBe('Haemoglobin');
    });

    test('unknown system and unknown code are 404 with their codes', async () => {
      const system = await hub.request('GET', `${FHIR}/CodeSystem/$lookup?system=http://nowhere.example/cs&code=x`);
      expect(system.status).toBe(404);
      expect(errorCode(system)).toBe('SIMPUL-TERM-004');
      const code = await hub.request('GET', `${FHIR}/CodeSystem/$lookup?system=${GENDER}&code=femal`);
      expect(code.status).toBe(404);
      expect(errorCode(code)).toBe('SIMPUL-TERM-005');
      expect(code.body.issue[0].details.text).toContain('femal');
      const instance = await hub.request('GET', `${FHIR}/CodeSystem/no-such-id/$lookup?code=HB`);
      expect(instance.status).toBe(404);
    });

    test.each([
      [`system=${GENDER}`, 'code'],
      [`system=${GENDER}&code=male&code=female`, 'more than once'],
      [`system=${GENDER}&code=male&colour=red`, 'unknown parameter "colour"'],
      [`system=${GENDER}&code=male&displayLanguage=id`, 'displayLanguage is not supported'],
      [`coding=${GENDER}|male`, 'Parameters body'],
    ])('GET ?%s is 400 (%s)', async (query, message) => {
      const response = await hub.request('GET', `${FHIR}/CodeSystem/$lookup?${query}`);
      expect(response.status).toBe(400);
      expect(errorCode(response)).toBe('SIMPUL-TERM-001');
      expect(response.body.issue[0].details.text).toContain(message);
    });

    test.each([
      ['a body that is not Parameters', { resourceType: 'Patient' }, 'must be a Parameters resource'],
      ['parameter that is not a list', { resourceType: 'Parameters', parameter: { name: 'code' } }, 'must be a list'],
      ['a nameless parameter', parameters({ valueCode: 'male' }), 'needs a name'],
      ['a code given as a boolean', parameters({ name: 'system', valueUri: GENDER }, { name: 'code', valueBoolean: true }), 'string value'],
      ['coding and code together', parameters({ name: 'coding', valueCoding: { system: GENDER, code: 'male' } }, { name: 'code', valueCode: 'male' }), 'not both'],
      ['a coding whose code is a number', parameters({ name: 'coding', valueCoding: { system: GENDER, code: 7 } }), 'code must be a string'],
    ])('POST with %s is 400', async (_name, body, message) => {
      const response = await hub.request('POST', `${FHIR}/CodeSystem/$lookup`, body);
      expect(response.status).toBe(400);
      expect(response.body.issue[0].details.text).toContain(message);
    });

    test('instance form refuses a system that is not the resource in the URL', async () => {
      const response = await hub.request('GET', `${FHIR}/CodeSystem/${codeSystemId}/$lookup?system=${GENDER}&code=HB`);
      expect(response.status).toBe(400);
      expect(response.body.issue[0].details.text).toContain('does not match');
    });
  });

  describe('CodeSystem/$validate-code', () => {
    test('GET: a known code is valid; a wrong display is valid with a warning', async () => {
      const ok = await hub.request('GET', `${FHIR}/CodeSystem/$validate-code?url=${GENDER}&code=male&display=Male`);
      expect(ok.status).toBe(200);
      expect(param(ok.body, 'result')).toBe(true);
      const display = await hub.request('GET', `${FHIR}/CodeSystem/$validate-code?url=${GENDER}&code=male&display=Laki-laki`);
      expect(param(display.body, 'result')).toBe(true);
      expect(param(display.body, 'message')).toMatch(/display/i);
    });

    test('unknown code and unknown system are result false (200), as FHIR defines', async () => {
      const code = await hub.request('GET', `${FHIR}/CodeSystem/$validate-code?url=${GENDER}&code=robot`);
      expect(code.status).toBe(200);
      expect(param(code.body, 'result')).toBe(false);
      expect(param(code.body, 'message')).toContain('robot');
      const system = await hub.request('GET', `${FHIR}/CodeSystem/$validate-code?url=http://nowhere.example/cs&code=x`);
      expect(param(system.body, 'result')).toBe(false);
      expect(param(system.body, 'message')).toContain('Unknown code system');
    });

    test('POST with a codeableConcept: valid when one of its codings from the system is', async () => {
      const response = await hub.request(
        'POST',
        `${FHIR}/CodeSystem/$validate-code`,
        parameters(
          { name: 'url', valueUri: LOCAL_LAB },
          { name: 'codeableConcept', valueCodeableConcept: { coding: [{ system: 'http://loinc.org', code: '1558-6' }, { system: LOCAL_LAB, code: 'HB' }] } },
        ),
      );
      expect(response.status).toBe(200);
      expect(param(response.body, 'result')).toBe(true);
    });

    test('instance form, and invalid input', async () => {
      const instance = await hub.request('POST', `${FHIR}/CodeSystem/${codeSystemId}/$validate-code`, parameters({ name: 'code', valueCode: 'GLU-F' }));
      expect(param(instance.body, 'result')).toBe(true);
      const noUrl = await hub.request('GET', `${FHIR}/CodeSystem/$validate-code?code=male`);
      expect(noUrl.status).toBe(400);
      expect(noUrl.body.issue[0].expression).toEqual(['url']);
      const clash = await hub.request(
        'POST',
        `${FHIR}/CodeSystem/$validate-code`,
        parameters({ name: 'url', valueUri: GENDER }, { name: 'coding', valueCoding: { system: LOCAL_LAB, code: 'HB' } }),
      );
      expect(clash.status).toBe(400);
      expect(clash.body.issue[0].details.text).toContain('differs');
    });
  });

  describe('ValueSet/$validate-code', () => {
    test('GET: member, non-member, and a code without system found in one system', async () => {
      const member = await hub.request('GET', `${FHIR}/ValueSet/$validate-code?url=${GENDER_VS}&system=${GENDER}&code=other`);
      expect(member.status).toBe(200);
      expect(param(member.body, 'result')).toBe(true);
      const outside = await hub.request('GET', `${FHIR}/ValueSet/$validate-code?url=${GENDER_VS}&system=${V2_0001}&code=F`);
      expect(param(outside.body, 'result')).toBe(false);
      expect(param(outside.body, 'message')).toContain('not in ValueSet');
      const noSystem = await hub.request('GET', `${FHIR}/ValueSet/$validate-code?url=${GENDER_VS}&code=unknown`);
      expect(param(noSystem.body, 'result')).toBe(true);
    });

    test('POST with an inline ValueSet and a coding', async () => {
      const response = await hub.request(
        'POST',
        `${FHIR}/ValueSet/$validate-code`,
        parameters(
          { name: 'valueSet', resource: { resourceType: 'ValueSet', status: 'active', compose: { include: [{ system: GENDER, concept: [{ code: 'female' }] }] } } },
          { name: 'coding', valueCoding: { system: GENDER, code: 'male' } },
        ),
      );
      expect(response.status).toBe(200);
      expect(param(response.body, 'result')).toBe(false);
      expect(param(response.body, 'message')).toContain('is not in ValueSet the inline ValueSet');
    });

    test('instance form follows the stored ValueSet (is-a GLU)', async () => {
      const child = await hub.request('GET', `${FHIR}/ValueSet/${valueSetId}/$validate-code?system=${LOCAL_LAB}&code=GLU-F`);
      expect(param(child.body, 'result')).toBe(true);
      const other = await hub.request('GET', `${FHIR}/ValueSet/${valueSetId}/$validate-code?system=${LOCAL_LAB}&code=HB`);
      expect(param(other.body, 'result')).toBe(false);
    });

    test('unknown ValueSet is 404; code and coding together, or url and inline valueSet, are 400', async () => {
      const unknown = await hub.request('GET', `${FHIR}/ValueSet/$validate-code?url=http://nowhere.example/vs&code=x`);
      expect(unknown.status).toBe(404);
      expect(errorCode(unknown)).toBe('SIMPUL-TERM-002');
      const both = await hub.request(
        'POST',
        `${FHIR}/ValueSet/$validate-code`,
        parameters({ name: 'url', valueUri: GENDER_VS }, { name: 'code', valueCode: 'male' }, { name: 'coding', valueCoding: { system: GENDER, code: 'male' } }),
      );
      expect(both.status).toBe(400);
      const urlAndInline = await hub.request(
        'POST',
        `${FHIR}/ValueSet/$validate-code`,
        parameters({ name: 'url', valueUri: GENDER_VS }, { name: 'valueSet', resource: { resourceType: 'ValueSet', status: 'active' } }, { name: 'code', valueCode: 'male' }),
      );
      expect(urlAndInline.status).toBe(400);
      const inlineOnInstance = await hub.request(
        'POST',
        `${FHIR}/ValueSet/${valueSetId}/$validate-code`,
        parameters({ name: 'valueSet', resource: { resourceType: 'ValueSet', status: 'active' } }, { name: 'code', valueCode: 'GLU' }),
      );
      expect(inlineOnInstance.status).toBe(400);
    });
  });

  describe('ValueSet/$expand', () => {
    test('GET by url: every code, with total', async () => {
      const response = await hub.request('GET', `${FHIR}/ValueSet/$expand?url=${GENDER_VS}`);
      expect(response.status).toBe(200);
      expect(response.body.resourceType).toBe('ValueSet');
      expect(response.body.expansion.total).toBe(4);
      expect(response.body.expansion.contains.map((c: any) => c.code).sort()).toEqual(['female', 'male', 'other', 'unknown']);
    });

    test('filter and paging: total counts after the filter, the page is offset/count', async () => {
      const filtered = await hub.request('GET', `${FHIR}/ValueSet/$expand?url=${GENDER_VS}&filter=fem`);
      expect(filtered.body.expansion.total).toBe(1);
      expect(filtered.body.expansion.contains).toEqual([{ system: GENDER, code: 'female', display: 'Female' }]);
      const first = await hub.request('GET', `${FHIR}/ValueSet/$expand?url=${GENDER_VS}&offset=0&count=2`);
      const second = await hub.request('GET', `${FHIR}/ValueSet/$expand?url=${GENDER_VS}&offset=2&count=2`);
      expect(first.body.expansion.total).toBe(4);
      expect(first.body.expansion.contains).toHaveLength(2);
      expect(second.body.expansion.offset).toBe(2);
      const codes = [...first.body.expansion.contains, ...second.body.expansion.contains].map((c: any) => c.code);
      expect(new Set(codes).size).toBe(4);
    });

    test('POST with an inline ValueSet, and the instance form', async () => {
      const inline = await hub.request(
        'POST',
        `${FHIR}/ValueSet/$expand`,
        parameters({ name: 'valueSet', resource: { resourceType: 'ValueSet', status: 'active', compose: { include: [{ system: LOCAL_LAB }] } } }, { name: 'count', valueInteger: 1 }),
      );
      expect(inline.status).toBe(200);
      expect(inline.body.expansion.total).toBe(3);
      expect(inline.body.expansion.contains).toHaveLength(1);
      expect(inline.body.url).toBeUndefined();
      const instance = await hub.request('GET', `${FHIR}/ValueSet/${valueSetId}/$expand`);
      expect(instance.body.expansion.contains.map((c: any) => c.code).sort()).toEqual(['GLU', 'GLU-F']);
    });

    test('unknown ValueSet is 404; bad paging and a broken inline ValueSet are 400', async () => {
      const unknown = await hub.request('GET', `${FHIR}/ValueSet/$expand?url=http://nowhere.example/vs`);
      expect(unknown.status).toBe(404);
      expect(errorCode(unknown)).toBe('SIMPUL-TERM-002');
      for (const query of ['offset=-1', 'count=abc', 'count=99999999999', 'activeOnly=yes']) {
        const response = await hub.request('GET', `${FHIR}/ValueSet/$expand?url=${GENDER_VS}&${query}`);
        expect(response.status, query).toBe(400);
        expect(response.body.issue[0].expression[0], query).toBe(query.split('=')[0]);
      }
      const negative = await hub.request('POST', `${FHIR}/ValueSet/$expand`, parameters({ name: 'url', valueUri: GENDER_VS }, { name: 'offset', valueInteger: -3 }));
      expect(negative.status).toBe(400);
      const broken = await hub.request('POST', `${FHIR}/ValueSet/$expand`, parameters({ name: 'valueSet', resource: { resourceType: 'ValueSet', status: 'sideways' } }));
      expect(broken.status).toBe(400);
      expect(errorCode(broken)).toBe('SIMPUL-TERM-006');
      const noInput = await hub.request('GET', `${FHIR}/ValueSet/$expand`);
      expect(noInput.status).toBe(400);
      const cannot = await hub.request(
        'POST',
        `${FHIR}/ValueSet/$expand`,
        parameters({ name: 'valueSet', resource: { resourceType: 'ValueSet', status: 'active', compose: { include: [{ system: 'http://nowhere.example/cs' }] } } }),
      );
      expect(cannot.status).toBe(400);
      expect(errorCode(cannot)).toBe('SIMPUL-TERM-008');
    });
  });

  describe('ConceptMap/$translate', () => {
    test('GET by source system and target system', async () => {
      const response = await hub.request('GET', `${FHIR}/ConceptMap/$translate?system=${V2_0001}&code=F&targetsystem=${GENDER}`);
      expect(response.status).toBe(200);
      expect(param(response.body, 'result')).toBe(true);
      const match = param(response.body, 'match');
      expect(match).toContainEqual({ name: 'equivalence', valueCode: 'equivalent' });
      expect(match).toContainEqual({ name: 'concept', valueCoding: { system: GENDER, code: 'female', display: 'Female' } });
      expect(match).toContainEqual({ name: 'source', valueUri: V2_0001_MAP });
      const camel = await hub.request('GET', `${FHIR}/ConceptMap/$translate?system=${V2_0001}&code=F&targetSystem=${GENDER}`);
      expect(param(camel.body, 'result')).toBe(true);
    });

    test('by url, reverse, and the instance form', async () => {
      const byUrl = await hub.request('GET', `${FHIR}/ConceptMap/$translate?url=${V2_0001_MAP}&system=${V2_0001}&code=M`);
      expect(param(byUrl.body, 'result')).toBe(true);
      const reverse = await hub.request('GET', `${FHIR}/ConceptMap/$translate?system=${GENDER}&code=male&reverse=true`);
      expect(param(reverse.body, 'result')).toBe(true);
      expect(param(reverse.body, 'match')).toContainEqual({ name: 'concept', valueCoding: { system: V2_0001, code: 'M', display: 'Male' } });
      const instance = await hub.request('GET', `${FHIR}/ConceptMap/${conceptMapId}/$translate?system=${LOCAL_LAB}&code=GLU-F`);
      expect(param(instance.body, 'match')).toContainEqual({ name: 'concept', valueCoding: { system: 'http://loinc.org', code: '1558-6' } });
      const instanceOtherSystem = await hub.request('GET', `${FHIR}/ConceptMap/${conceptMapId}/$translate?system=${V2_0001}&code=F`);
      expect(param(instanceOtherSystem.body, 'result')).toBe(false);
    });

    test('POST with a coding, and with a codeableConcept', async () => {
      const coding = await hub.request('POST', `${FHIR}/ConceptMap/$translate`, parameters({ name: 'coding', valueCoding: { system: V2_0001, code: 'U' } }));
      expect(param(coding.body, 'result')).toBe(true);
      const concept = await hub.request(
        'POST',
        `${FHIR}/ConceptMap/$translate`,
        parameters(
          { name: 'codeableConcept', valueCodeableConcept: { coding: [{ system: LOCAL_LAB, code: 'HB' }, { system: LOCAL_LAB, code: 'GLU-F' }] } },
          { name: 'targetsystem', valueUri: 'http://loinc.org' },
        ),
      );
      expect(param(concept.body, 'result')).toBe(true);
      expect(param(concept.body, 'match')).toContainEqual({ name: 'concept', valueCoding: { system: 'http://loinc.org', code: '1558-6' } });
    });

    test('a code no map knows is result false (200); an unknown map url is 404', async () => {
      const unknownCode = await hub.request('GET', `${FHIR}/ConceptMap/$translate?system=${V2_0001}&code=Z&targetsystem=${GENDER}`);
      expect(unknownCode.status).toBe(200);
      expect(param(unknownCode.body, 'result')).toBe(false);
      expect(param(unknownCode.body, 'message')).toContain('No mapping');
      const unknownMap = await hub.request('GET', `${FHIR}/ConceptMap/$translate?url=http://nowhere.example/cm&system=${V2_0001}&code=F`);
      expect(unknownMap.status).toBe(404);
      expect(errorCode(unknownMap)).toBe('SIMPUL-TERM-003');
    });

    test.each([
      ['code=F', 'system'],
      [`system=${V2_0001}&code=F&reverse=maybe`, 'true or false'],
      [`system=${V2_0001}&code=F&dependency=x`, 'not supported'],
      [`system=${V2_0001}&code=F&targetsystem=a&targetSystem=b`, 'more than once'],
    ])('GET ?%s is 400 (%s)', async (query, message) => {
      const response = await hub.request('GET', `${FHIR}/ConceptMap/$translate?${query}`);
      expect(response.status).toBe(400);
      expect(response.body.issue[0].details.text).toContain(message);
    });
  });

  test('operations need a bearer token like every FHIR route', async () => {
    const response = await hub.request('GET', `${FHIR}/ValueSet/$expand?url=${GENDER_VS}`, undefined, { authorization: '' });
    expect(response.status).toBe(401);
  });
});
