import { Hl7Message } from '@medplum/core';
import type { DiagnosticReport, Observation, Patient, Provenance } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { MappingError } from './mapping-error.ts';
import type { MappingResult } from './map-message.ts';
import { mapHl7Message } from './map-message.ts';
import { hl7SourceMappingSchema } from './source-config.ts';
import { FIXTURE_SOURCE_INPUT, fixtureContext, mapFixture, MRN, onlyResource, readFixture, resourcesOf } from './fixtures/fixture-context.ts';

function mappingError(text: string, context = fixtureContext()): MappingError {
  try {
    mapHl7Message(text, context);
  } catch (error) {
    if (error instanceof MappingError) {
      return error;
    }
    throw error;
  }
  throw new Error('expected a MappingError');
}

const A01 = readFixture('adt-a01-v2.5.1.hl7');
const LAB = readFixture('oru-r01-lab-v2.5.1.hl7');

describe('mapHl7Message errors', () => {
  it.each([
    ['an ADT without PID', A01.replace(/^PID.*\n/m, ''), 'PID', 'ADT^A01 has no PID segment'],
    ['a PID without identifiers', A01.replace(/^(PID\|1\|\|)[^|]*/m, '$1'), 'PID-3', 'no patient identifier (PID-3 is empty)'],
    ['an unsupported message type', A01.replace('ADT^A01^ADT_A01', 'MFN^M02^MFN_M02'), 'MSH-9', 'message type MFN^M02 is not supported'],
    ['an empty message type', A01.replace('ADT^A01^ADT_A01', ''), 'MSH-9', 'the message type is empty'],
    ['text that is not HL7', 'hello world', 'MSH', 'the message does not start with an MSH segment'],
    ['a bad birth date', A01.replace('19800112', '19801345'), 'PID-7', '"19801345" is not a valid HL7 date'],
    ['a bad admit time', A01.replace('20240105080000', '20240105250000'), 'PV1-44', '"20240105250000" is not a valid HL7 date'],
    ['a bad version', A01.replace('|2.5.1|', '|3.0|'), 'MSH-12', '"3.0" is not an HL7 v2 version'],
    ['an unknown order control', readFixture('orm-o01-v2.3.1.hl7').replace('ORC|NW|', 'ORC|ZZ|'), 'ORC-1', 'order control "ZZ" is not supported'],
    ['a new order without OBR', readFixture('orm-o01-ca-v2.4.hl7').replace('ORC|CA|', 'ORC|NW|'), 'OBR', 'order control NW needs an OBR segment'],
    ['an order without any number', readFixture('orm-o01-v2.3.1.hl7').replace(/ORD00199\^SIMRS/g, '').replace('ACC00403', ''), 'ORC-2', 'the order has no placer, filler or accession number'],
    ['a result without OBR', LAB.replace(/^(OBR|OBX|NTE|ORC).*\n/gm, ''), 'OBR', 'ORU^R01 has no OBR'],
    ['an absurdly long MRN', A01.replace('RM00123456^^^RSUDSS', `${'9'.repeat(5000)}^^^RSUDSS`), 'PID-3', 'identifier is 5000 characters long (at most 200)'],
    ['an absurdly long placer number', readFixture('orm-o01-v2.3.1.hl7').replaceAll('ORD00199', 'X'.repeat(300)), 'ORC-2', 'identifier is 300 characters long'],
    ['a message with only MSH', 'MSH|^~\\&|SIMRS|RSUDSS|||20240105||ADT^A01|1|P|2.5.1', 'PID', 'ADT^A01 has no PID segment'],
    ['an appointment without SCH', readFixture('siu-s12-v2.4.hl7').replace(/^SCH.*\n/m, ''), 'SCH', 'SIU^S12 has no SCH segment'],
    ['an appointment without ids', readFixture('siu-s12-v2.4.hl7').replace('APT-P-7781^SIMRS|APT-F-5521^RIS', '|'), 'SCH-2', 'no filler (SCH-2) or placer (SCH-1) appointment id'],
  ])('%s is a MappingError', (_name, text, field, reason) => {
    const error = mappingError(text);
    expect(error.field).toBe(field);
    expect(error.reason).toContain(reason);
    expect(error.permanent).toBe(true);
    expect(error.outcome.issue?.[0]).toMatchObject({ severity: 'error', code: 'invalid', expression: [field] });
  });

  it('rejects an unmapped assigning authority when the source says so', () => {
    const source = hl7SourceMappingSchema.parse({ ...FIXTURE_SOURCE_INPUT, unmappedAuthority: 'reject' });
    const error = mappingError(A01.replace('RM00123456^^^RSUDSS^MR', 'RM00123456^^^KLINIKX^MR'), fixtureContext({ source }));
    expect(error).toMatchObject({ field: 'PID-3', reason: 'assigning authority "KLINIKX" is not in the source\'s assigningAuthorities map' });
  });
});

describe('mapHl7Message', () => {
  it('keeps Z-segments (and only them) in the result, never failing on them', () => {
    const withMore = A01.trimEnd() + '\nZDS|1.2.3.4^SIMPUL^Application^DICOM\nZPI|2|Kelas 2\nXYZ|ignored\n';
    const result = mapHl7Message(withMore, fixtureContext());
    expect(result.zSegments).toEqual([
      { name: 'ZPI', occurrence: 1, text: 'ZPI|1|Kelas 1|BPJS^0001234567890' },
      { name: 'ZDS', occurrence: 1, text: 'ZDS|1.2.3.4^SIMPUL^Application^DICOM' },
      { name: 'ZPI', occurrence: 2, text: 'ZPI|2|Kelas 2' },
    ]);
    expect(result.bundle.entry?.length).toBe(mapFixture('adt-a01-v2.5.1.hl7').bundle.entry?.length);
  });

  it('ends every bundle with a Provenance that targets every other entry and names the message', () => {
    for (const fixture of ['adt-a01-v2.5.1.hl7', 'oru-r01-lab-v2.5.1.hl7', 'orm-o01-ca-v2.4.hl7', 'siu-s15-v2.4.hl7', 'adt-a40-v2.5.1.hl7']) {
      const { bundle } = mapFixture(fixture);
      const entries = bundle.entry ?? [];
      const provenance = entries.at(-1)?.resource as Provenance;
      expect(provenance.resourceType).toBe('Provenance');
      expect(provenance.target.map((t) => t.reference)).toEqual(entries.slice(0, -1).map((e) => e.fullUrl));
      expect(entries.every((e) => e.fullUrl?.startsWith('urn:uuid:'))).toBe(true);
    }
    const provenance = onlyResource<Provenance>(mapFixture('adt-a01-v2.5.1.hl7').bundle, 'Provenance');
    expect(provenance).toMatchObject({
      recorded: '2024-01-05T01:30:20.000Z',
      occurredDateTime: '2024-01-05T08:25:00+07:00',
      activity: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0003', code: 'A01', display: 'Admit/visit notification' }] },
      agent: [{ type: { coding: [{ code: 'author' }] }, who: { display: 'rsudss-simrs' } }],
      entity: [
        { role: 'source', what: { identifier: { system: 'https://simpul.dev/fhir/id/message-store', value: 'msgstore-0001' } } },
        { role: 'source', what: { identifier: { system: 'https://simpul.dev/fhir/id/hl7v2-control-id', value: 'ADT0001', assigner: { display: 'rsudss-simrs' } } } },
      ],
    });
  });

  it('is deterministic: the same message maps to the same bundle', () => {
    expect(mapFixture('oru-r01-lab-v2.5.1.hl7')).toEqual(mapFixture('oru-r01-lab-v2.5.1.hl7'));
    expect(mapFixture('adt-a40-v2.5.1.hl7')).toEqual(mapFixture('adt-a40-v2.5.1.hl7'));
  });

  it('maps a duplicate (new message-store id) to the same conditional writes; only the Provenance differs', () => {
    const first = mapFixture('adt-a01-v2.5.1.hl7');
    const duplicate = mapFixture('adt-a01-v2.5.1.hl7', { messageId: 'msgstore-0002', receivedAt: new Date('2024-01-05T01:31:00Z') });
    const withoutProvenance = (result: MappingResult) => result.bundle.entry?.slice(0, -1);
    expect(withoutProvenance(duplicate)).toEqual(withoutProvenance(first));
    expect(duplicate.bundle.entry?.at(-1)?.request?.url).toBe('Provenance?entity:identifier=https://simpul.dev/fhir/id/message-store|msgstore-0002');
  });

  it('accepts a parsed Hl7Message, CR separators and MLLP framing alike', () => {
    const expected = mapFixture('adt-a01-v2.5.1.hl7');
    expect(mapHl7Message(Hl7Message.parse(A01.replaceAll('\n', '\r')), fixtureContext())).toEqual(expected);
    expect(mapHl7Message(`\u000b${A01.replaceAll('\n', '\r')}\u001c\r`, fixtureContext())).toEqual(expected);
  });

  it('keys the Patient on the configured MRN type and warns when no identifier has it', () => {
    const source = hl7SourceMappingSchema.parse({ ...FIXTURE_SOURCE_INPUT, mrnIdentifierType: 'NNIDN' });
    const byNik = mapHl7Message(A01, fixtureContext({ source }));
    expect(byNik.patientKey).toBe('https://fhir.kemkes.go.id/id/nik|3174051201800001');
    expect(byNik.bundle.entry?.[0].request?.url).toBe('Patient?identifier=https://fhir.kemkes.go.id/id/nik|3174051201800001');

    const noMr = mapHl7Message(A01.replace('RM00123456^^^RSUDSS^MR~', ''), fixtureContext());
    expect(noMr.patientKey).toBe('https://fhir.kemkes.go.id/id/nik|3174051201800001');
    expect(noMr.warnings).toContainEqual({ field: 'PID-3', message: 'no identifier of type MR; the Patient is keyed on https://fhir.kemkes.go.id/id/nik|3174051201800001' });
  });

  it('derives a system for an unmapped assigning authority, with a warning', () => {
    const result = mapHl7Message(A01.replace('RM00123456^^^RSUDSS^MR', 'RM00123456^^^KLINIK X^MR'), fixtureContext());
    expect(result.patientKey).toBe('https://rsud-sehat.example/id/KLINIK%20X|RM00123456');
    expect(result.warnings[0]).toMatchObject({ field: 'PID-3' });
  });

  it('gives non-patient identifiers of an authority their own system only through AUTHORITY^TYPE keys', () => {
    const source = hl7SourceMappingSchema.parse({
      ...FIXTURE_SOURCE_INPUT,
      assigningAuthorities: { ...FIXTURE_SOURCE_INPUT.assigningAuthorities, 'RSUDSS^VN': 'https://rsud-sehat.example/id/visit' },
    });
    const urls = mapHl7Message(A01, fixtureContext({ source })).bundle.entry?.map((e) => e.request?.url);
    expect(urls).toContain('Encounter?identifier=https://rsud-sehat.example/id/visit|VN20240105001');
    // Without the typed key, the visit number does not borrow the MRN system of the same authority.
    expect(mapFixture('adt-a01-v2.5.1.hl7').bundle.entry?.map((e) => e.request?.url)).toContain(
      'Encounter?identifier=http://sys-ids.kemkes.go.id/encounter/10000004|VN20240105001',
    );
  });

  it('uses an ISO universal id as an OID system when the authority is not mapped', () => {
    const result = mapHl7Message(A01.replace('RM00123456^^^RSUDSS^MR', 'RM00123456^^^&2.16.360.1.99&ISO^MR'), fixtureContext());
    expect(result.patientKey).toBe('urn:oid:2.16.360.1.99|RM00123456');
  });

  it('escapes search-reserved characters in conditional URLs', () => {
    const result = mapHl7Message(A01.replace('RM00123456^^^RSUDSS^MR', 'RM 001,23\\T\\4^^^RSUDSS^MR'), fixtureContext());
    expect(result.bundle.entry?.[0].request?.url).toBe(`Patient?identifier=${MRN}|RM%20001%5C%2C23%264`);
    expect((result.bundle.entry?.[0].resource as Patient).identifier?.[0].value).toBe('RM 001,23&4');
  });

  it('warns about versions without fixtures but still maps them', () => {
    const result = mapHl7Message(A01.replace('|2.5.1|', '|2.7|'), fixtureContext());
    expect(result.version).toBe('2.7');
    expect(result.warnings).toContainEqual({ field: 'MSH-12', message: 'version 2.7 is mapped like 2.5.1 but has no fixtures' });
  });

  it('keeps a non-numeric NM value as text with a warning, and reads SN ranges', () => {
    const text = LAB.replace('in Blood^LN||10.2|', 'in Blood^LN||hemolisis|').replace('|5370-2^Titer^LN||^1^:^128|', '|5370-2^Titer^LN||^10^-^20|');
    expect(text).not.toBe(LAB);
    const result = mapHl7Message(text, fixtureContext());
    const observations = resourcesOf<Observation>(result.bundle, 'Observation');
    expect(observations[0].valueString).toBe('hemolisis');
    expect(result.warnings).toContainEqual({ field: 'OBX-5', message: '"hemolisis" is not a number (OBX-2 is NM); kept as text' });
    expect(observations[5].valueRange).toEqual({ low: { value: 10 }, high: { value: 20 } });
  });

  it('reports codes a hospital code map has not covered, and uses the map once it has', () => {
    const before = mapFixture('orm-o01-v2.3.1.hl7');
    expect(before.unmappedCodes.map((u) => u.code)).toEqual(['RAD-THX-PA']);
    const source = hl7SourceMappingSchema.parse({
      ...FIXTURE_SOURCE_INPUT,
      codeMaps: [{ source: 'https://rsud-sehat.example/cs/rad-procedure', target: 'http://loinc.org', codes: { 'RAD-THX-PA': { code: '24648-8', display: 'XR Chest PA upr' } } }],
    });
    const after = mapFixture('orm-o01-v2.3.1.hl7', { source });
    expect(after.unmappedCodes).toEqual([]);
    const code = (after.bundle.entry?.find((e) => e.resource?.resourceType === 'ServiceRequest')?.resource as { code?: unknown }).code;
    expect(code).toEqual({
      coding: [
        { system: 'http://loinc.org', code: '24648-8', display: 'XR Chest PA upr' },
        { system: 'https://rsud-sehat.example/cs/rad-procedure', code: 'RAD-THX-PA', display: 'Foto Toraks PA' },
      ],
      text: 'Foto Toraks PA',
    });
  });

  it('keeps an empty TX repetition as a blank line in the report text', () => {
    const text = readFixture('oru-r01-rad-v2.5.1.hl7').replace('PA/LAT:~Cor', 'PA/LAT:~~Cor');
    const report = resourcesOf<DiagnosticReport>(mapHl7Message(text, fixtureContext()).bundle, 'DiagnosticReport')[0];
    expect(Buffer.from(report.presentedForm?.[0].data ?? '', 'base64').toString('utf8')).toMatch(/^FOTO TORAKS PA\/LAT:\n\nCor: CTR/);
  });

  it('writes no Encounter (with a warning) when PV1-19 has no visit number', () => {
    const result = mapHl7Message(A01.replace('VN20240105001^^^RSUDSS^VN', ''), fixtureContext());
    expect(resourcesOf(result.bundle, 'Encounter')).toEqual([]);
    expect(result.warnings).toContainEqual({ field: 'PV1-19', message: 'no visit number; no Encounter written for this message' });
  });
});
