import type { Patient, ServiceRequest } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import { createCodeMapTranslator } from '../ingest/hl7/index.ts';
import { compileTemplate, mapWithTemplate, MappingTemplateError, parseXmlBody, XmlBodyError } from './index.ts';

const MRN = 'http://sys-ids.kemkes.go.id/mrn/10000004';
const translator = createCodeMapTranslator([{ source: 'https://rs.example/cs/sex', target: 'http://hl7.org/fhir/administrative-gender', codes: { L: 'male', P: 'female' } }]);

const template = compileTemplate(
  {
    timeZone: 'Asia/Jakarta',
    patientKey: '=mrn',
    resources: [
      {
        name: 'patient',
        identifier: { system: MRN, value: '=mrn' },
        resource: {
          resourceType: 'Patient',
          name: [{ family: '=last_name', given: ['=first_name'] }],
          gender: "=$translate('https://rs.example/cs/sex', sex, 'http://hl7.org/fhir/administrative-gender').code",
          birthDate: '=$date(birth_date)',
          telecom: [{ system: 'phone', value: "=phone ? $string($number(phone)) : undefined" }],
        },
      },
      {
        when: '=accession != null',
        method: 'put',
        identifier: { system: 'http://sys-ids.kemkes.go.id/acsn/10000004', value: '=accession' },
        resource: { resourceType: 'ServiceRequest', status: 'active', intent: 'order', subject: { reference: "=$ref('patient')" }, authoredOn: '=$dateTime(ordered_at)', note: [{ text: '==literal' }] },
      },
    ],
  },
  'test-template',
);

const ctx = { kind: 'sql' as const, source: 'his', messageId: '3f1c6c1e-8a0b-4c36-9f55-0d4a4d7a0a11', receivedAt: '2024-05-01T01:00:00Z', rowKey: '42', translator };
const row = { mrn: 'RM-1', last_name: 'Santoso', first_name: 'Budi', sex: 'L', birth_date: '1980-02-03', phone: '0812', accession: 'ACC-9', ordered_at: '2024-05-01 08:15:30.123456' };

describe('mapping templates', () => {
  test('a row becomes conditional writes with references, a Device and a Provenance; the same row gives the same bundle', async () => {
    const result = await mapWithTemplate(template, row, ctx);
    const entries = result.bundle.entry ?? [];
    expect(entries.map((e) => `${e.request?.method} ${e.request?.url}`)).toEqual([
      `PUT Patient?identifier=${MRN}|RM-1`,
      'PUT ServiceRequest?identifier=http://sys-ids.kemkes.go.id/acsn/10000004|ACC-9',
      'POST Device',
      `PUT Provenance?entity:identifier=https://simpul.dev/fhir/id/message-store|${ctx.messageId}`,
    ]);
    const patient = entries[0].resource as Patient;
    expect(patient).toMatchObject({ gender: 'male', birthDate: '1980-02-03', name: [{ family: 'Santoso', given: ['Budi'] }], identifier: [{ system: MRN, value: 'RM-1' }] });
    const order = entries[1].resource as ServiceRequest;
    expect(order.subject?.reference).toBe(entries[0].fullUrl);
    expect(order.authoredOn).toBe('2024-05-01T08:15:30.123+07:00');
    expect(order.note).toEqual([{ text: '=literal' }]);
    expect(result.patientKey).toBe('RM-1');
    expect(await mapWithTemplate(template, row, ctx)).toEqual(result);
  });

  test('a false `when` leaves the entry out; empty values are left out rather than written empty', async () => {
    const result = await mapWithTemplate(template, { ...row, accession: null, first_name: null, phone: '' }, ctx);
    expect(result.bundle.entry?.some((e) => e.resource?.resourceType === 'ServiceRequest')).toBe(false);
    expect((result.bundle.entry?.[0].resource as Patient).name).toEqual([{ family: 'Santoso' }]);
  });

  test('a code no map has is left out and listed as unmapped', async () => {
    const result = await mapWithTemplate(template, { ...row, sex: 'X' }, ctx);
    expect((result.bundle.entry?.[0].resource as Patient).gender).toBeUndefined();
    expect(result.unmappedCodes).toEqual([{ field: 'template', system: 'https://rs.example/cs/sex', code: 'X', targetSystem: 'http://hl7.org/fhir/administrative-gender' }]);
  });

  test('an expression that throws names the template path, the expression and the row key', async () => {
    const error = await mapWithTemplate(template, { ...row, phone: 'not-a-number' }, ctx).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(MappingTemplateError);
    expect((error as MappingTemplateError).path).toBe('resources[0].resource.telecom[0].value');
    expect((error as Error).message).toContain('row key 42');
    expect((error as Error).message).toContain('$number(phone)');
  });

  test('an empty business identifier is refused: every write must be conditional', async () => {
    await expect(mapWithTemplate(template, { ...row, mrn: '  ' }, ctx)).rejects.toThrow(/resources\[0\]\.identifier\.value.*row key 42.*business identifier is empty/);
  });

  test('templates that cannot work are refused when compiled, with the path', () => {
    expect(() => compileTemplate({ resources: [{ identifier: { system: 's', value: '=a +' }, resource: { resourceType: 'Patient' } }] }, 't')).toThrow(/resources\[0\]\.identifier\.value.*not a JSONata expression/);
    expect(() => compileTemplate({ resources: [{ identifier: { system: 's', value: 'v' }, resource: { resourceType: '=type' } }] }, 't')).toThrow(/resources\.0\.resource\.resourceType|resources\[0\]\.resource\.resourceType/);
    expect(() => compileTemplate({ resources: [], extra: 1 }, 't')).toThrow(MappingTemplateError);
  });

  test('$ref to an entry not written yet fails naming the path', async () => {
    const bad = compileTemplate({ resources: [{ identifier: { system: 's', value: '=id' }, resource: { resourceType: 'Observation', subject: { reference: "=$ref('nobody')" } } }] }, 't');
    await expect(mapWithTemplate(bad, { id: 1 }, ctx)).rejects.toThrow(/resources\[0\]\.resource\.subject\.reference.*nobody/);
  });
});

describe('XML bodies', () => {
  test('elements, repeats and attributes become JSON; values stay text', () => {
    expect(parseXmlBody('<?xml version="1.0"?><order id="5"><mrn>007</mrn><item>a</item><item>b</item><note>x &amp; y</note></order>')).toEqual({
      order: { '@id': '5', mrn: '007', item: ['a', 'b'], note: 'x & y' },
    });
  });

  test('DOCTYPE and entity declarations are refused (no entity expansion), as is malformed XML', () => {
    expect(() => parseXmlBody('<!DOCTYPE a [<!ENTITY x "boom">]><a>&x;</a>')).toThrow(XmlBodyError);
    expect(() => parseXmlBody('<?xml version="1.0"?><!DOCTYPE a SYSTEM "file:///etc/passwd"><a/>')).toThrow(/DOCTYPE/);
    expect(() => parseXmlBody('<a><b></a>')).toThrow(/not well-formed/);
  });
});
