import { Hl7Message } from '@medplum/core';
import type { Encounter, Patient, Practitioner, ServiceRequest } from '@medplum/fhirtypes';
import { PermanentError } from '@simpul/infra';
import { describe, expect, it } from 'vitest';
import { buildOrderMessage, compareVersion, settingsProblem, type OrderMessageInput, type OrderMessageSettings } from './build-order-message.ts';
import { unescapeHl7 } from './hl7-text.ts';

const V2 = 'http://terminology.hl7.org/CodeSystem/v2-0203';

const patient: Patient = {
  resourceType: 'Patient',
  id: 'p1',
  identifier: [
    { system: 'https://rs-sehat.example/id/mrn', value: 'MR-001', type: { coding: [{ system: V2, code: 'MR' }] } },
    { system: 'https://fhir.kemkes.go.id/id/nik', value: '3201234567890001', assigner: { display: 'DUKCAPIL' } },
    { system: 'urn:oid:1.2.3.4', value: 'X9' },
  ],
  name: [
    { use: 'maiden', family: 'Old' },
    { use: 'official', family: 'Santoso', given: ['Budi', 'Agus', 'Tri'], prefix: ['Tn.'], suffix: ['S.Kom'] },
  ],
  birthDate: '1980-03-15',
  gender: 'male',
};

const practitioner: Practitioner = {
  resourceType: 'Practitioner',
  id: 'dr1',
  identifier: [{ system: 'https://fhir.kemkes.go.id/id/nakes-his-number', value: 'N10000001' }],
  name: [{ family: 'Wijaya', given: ['Sari'], prefix: ['dr.'] }],
};

const encounter: Encounter = {
  resourceType: 'Encounter',
  id: 'e1',
  status: 'in-progress',
  class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP' },
  identifier: [{ system: 'https://rs-sehat.example/id/visit', value: 'V-77' }],
  location: [{ location: { display: 'Ward 3' } }],
};

const request: ServiceRequest = {
  resourceType: 'ServiceRequest',
  id: 'sr1',
  meta: { lastUpdated: '2024-05-01T01:02:03.456Z' },
  status: 'active',
  intent: 'order',
  priority: 'stat',
  identifier: [
    { system: 'https://rs-sehat.example/id/placer', value: 'ORD-42', type: { coding: [{ system: V2, code: 'PLAC' }] } },
    { system: 'https://rs-sehat.example/id/acsn', value: 'ACC-9', type: { coding: [{ system: V2, code: 'ACSN' }] } },
    { system: 'urn:dicom:uid', value: 'urn:oid:1.2.840.99.1' },
  ],
  code: {
    coding: [
      { system: 'http://terminology.kemkes.go.id/CodeSystem/kptl', code: '31243', display: 'CT kepala' },
      { system: 'http://loinc.org', code: '24725-4', display: 'CT Head' },
    ],
    text: 'CT head without contrast',
  },
  orderDetail: [
    { coding: [{ system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'CT' }], text: 'Modality Code: CT' },
    { coding: [{ system: 'http://sys-ids.kemkes.go.id/ae-title', display: 'CT_RS1' }] },
  ],
  subject: { reference: 'Patient/p1' },
  encounter: { reference: 'Encounter/e1' },
  requester: { reference: 'Practitioner/dr1' },
  occurrenceDateTime: '2024-05-02T08:30:00+07:00',
  reasonCode: [{ text: 'head trauma' }],
};

const settings: OrderMessageSettings = {
  messageType: 'ORM^O01',
  version: '2.5.1',
  sendingApplication: 'SIMPUL',
  sendingFacility: 'RS1',
  receivingApplication: 'RIS',
  receivingFacility: 'RAD',
};

const now = new Date('2024-05-01T02:00:00.000Z');

function build(overrides: Partial<OrderMessageInput> = {}, settingOverrides: Partial<OrderMessageSettings> = {}) {
  const input: OrderMessageInput = {
    serviceRequest: request,
    patient,
    requester: { practitioner },
    encounter,
    interaction: 'create',
    controlId: 'CTL0001',
    now,
    ...overrides,
  };
  const built = buildOrderMessage(input, { ...settings, ...settingOverrides });
  return { built, message: Hl7Message.parse(built.text) };
}

function field(message: Hl7Message, segment: string, index: number): string {
  return message.getSegment(segment)?.getField(index)?.toString() ?? '';
}

describe('ORM^O01 (2.5.1)', () => {
  const { built, message } = build();

  it('lists MSH, PID, PV1, ORC, OBR in that order, with nothing else', () => {
    expect(message.segments.map((segment) => segment.name)).toEqual(['MSH', 'PID', 'PV1', 'ORC', 'OBR']);
    expect(built.text).not.toContain('\n');
    expect(built.orderControl).toBe('NW');
  });

  it('fills MSH from the settings, the clock and the control id', () => {
    expect(built.text.startsWith('MSH|^~\\&|SIMPUL|RS1|RIS|RAD|20240501020000+0000||ORM^O01^ORM_O01|CTL0001|P|2.5.1')).toBe(true);
    expect(field(message, 'MSH', 9)).toBe('ORM^O01^ORM_O01');
    expect(field(message, 'MSH', 10)).toBe('CTL0001');
    expect(field(message, 'MSH', 11)).toBe('P');
    expect(field(message, 'MSH', 12)).toBe('2.5.1');
  });

  it('sends every patient identifier as value^^^authority^type, authority from assigner or system', () => {
    expect(field(message, 'PID', 3)).toBe('MR-001^^^mrn^MR~3201234567890001^^^DUKCAPIL~X9^^^1.2.3.4');
  });

  it('sends the official name, birth date and sex', () => {
    expect(field(message, 'PID', 5)).toBe('Santoso^Budi^Agus Tri^S.Kom^Tn.');
    expect(field(message, 'PID', 7)).toBe('19800315');
    expect(field(message, 'PID', 8)).toBe('M');
  });

  it('sends the patient class, location and visit number from the Encounter', () => {
    expect(field(message, 'PV1', 2)).toBe('I');
    expect(field(message, 'PV1', 3)).toBe('Ward 3');
    expect(field(message, 'PV1', 19)).toBe('V-77^^^visit');
  });

  it('fills ORC: control, placer, filler (accession), status, timing, transaction time, requester', () => {
    expect(field(message, 'ORC', 1)).toBe('NW');
    expect(field(message, 'ORC', 2)).toBe('ORD-42^placer');
    expect(field(message, 'ORC', 3)).toBe('ACC-9^acsn');
    expect(field(message, 'ORC', 5)).toBe('SC');
    expect(field(message, 'ORC', 7)).toBe('^^^20240502083000+0700^^S');
    expect(field(message, 'ORC', 9)).toBe('20240501010203+0000');
    expect(field(message, 'ORC', 12)).toBe('N10000001^Wijaya^Sari^^^dr.^^^nakes-his-number');
  });

  it('fills OBR: numbers, LOINC code first with the local code as alternate, time, requester, accession, modality, reason', () => {
    expect(field(message, 'OBR', 1)).toBe('1');
    expect(field(message, 'OBR', 2)).toBe('ORD-42^placer');
    expect(field(message, 'OBR', 3)).toBe('ACC-9^acsn');
    expect(field(message, 'OBR', 4)).toBe('24725-4^CT Head^LN^31243^CT kepala^KPTL');
    expect(field(message, 'OBR', 7)).toBe('20240502083000+0700');
    expect(field(message, 'OBR', 16)).toBe(field(message, 'ORC', 12));
    expect(field(message, 'OBR', 18)).toBe('ACC-9');
    expect(field(message, 'OBR', 24)).toBe('CT');
    expect(field(message, 'OBR', 27)).toBe('^^^20240502083000+0700^^S');
    expect(field(message, 'OBR', 31)).toBe('^head trauma');
  });
});

describe('version shapes', () => {
  it('2.3 has no message structure in MSH-9 and keeps TQ in ORC-7 / OBR-27', () => {
    const { message } = build({}, { version: '2.3' });
    expect(field(message, 'MSH', 9)).toBe('ORM^O01');
    expect(field(message, 'MSH', 12)).toBe('2.3');
    expect(message.getSegment('TQ1')).toBeUndefined();
    expect(field(message, 'OBR', 27)).toBe('^^^20240502083000+0700^^S');
  });

  it.each(['2.3.1', '2.4', '2.5', '2.6'])('%s: MSH-9 with structure, TQ in ORC-7 / OBR-27, no TQ1', (version) => {
    const { message } = build({}, { version });
    expect(field(message, 'MSH', 9)).toBe('ORM^O01^ORM_O01');
    expect(field(message, 'ORC', 7)).toBe('^^^20240502083000+0700^^S');
    expect(message.getSegment('TQ1')).toBeUndefined();
  });

  it.each(['2.7', '2.8'])('%s: ORC-7 / OBR-27 withdrawn, a TQ1 after the ORC carries start and priority', (version) => {
    const { message } = build({}, { version });
    expect(message.segments.map((segment) => segment.name)).toEqual(['MSH', 'PID', 'PV1', 'ORC', 'TQ1', 'OBR']);
    expect(field(message, 'ORC', 7)).toBe('');
    expect(field(message, 'OBR', 27)).toBe('');
    expect(field(message, 'TQ1', 7)).toBe('20240502083000+0700');
    expect(field(message, 'TQ1', 9)).toBe('S');
  });

  it('compares versions numerically', () => {
    expect(compareVersion('2.3.1', '2.3')).toBeGreaterThan(0);
    expect(compareVersion('2.5', '2.5.1')).toBeLessThan(0);
    expect(compareVersion('2.10', '2.8')).toBeGreaterThan(0);
  });
});

describe('OMI^O23', () => {
  const { built, message } = build({}, { messageType: 'OMI^O23', version: '2.5.1' });

  it('lists MSH, PID, PV1, ORC, TQ1, OBR, IPC with MSH-9 OMI^O23^OMI_O23', () => {
    expect(message.segments.map((segment) => segment.name)).toEqual(['MSH', 'PID', 'PV1', 'ORC', 'TQ1', 'OBR', 'IPC']);
    expect(field(message, 'MSH', 9)).toBe('OMI^O23^OMI_O23');
    expect(built.messageType).toBe('OMI^O23');
  });

  it('puts timing in TQ1, not in ORC-7 / OBR-27', () => {
    expect(field(message, 'TQ1', 1)).toBe('1');
    expect(field(message, 'TQ1', 7)).toBe('20240502083000+0700');
    expect(field(message, 'TQ1', 9)).toBe('S');
    expect(field(message, 'ORC', 7)).toBe('');
    expect(field(message, 'OBR', 27)).toBe('');
  });

  it('fills IPC with accession, procedure and step ids, study UID, modality and station AE title', () => {
    expect(field(message, 'IPC', 1)).toBe('ACC-9^acsn');
    expect(field(message, 'IPC', 2)).toBe('ORD-42');
    expect(field(message, 'IPC', 3)).toBe('1.2.840.99.1');
    expect(field(message, 'IPC', 4)).toBe('ORD-42');
    expect(field(message, 'IPC', 5)).toBe('CT^^DCM');
    expect(field(message, 'IPC', 9)).toBe('CT_RS1');
  });

  it('leaves IPC-1 and IPC-3 empty when the order has no accession or study UID yet', () => {
    const bare: ServiceRequest = { ...request, identifier: [request.identifier![0]] };
    const { message: omi } = build({ serviceRequest: bare }, { messageType: 'OMI^O23' });
    expect(field(omi, 'IPC', 1)).toBe('');
    expect(field(omi, 'IPC', 2)).toBe('ORD-42');
    expect(field(omi, 'IPC', 3)).toBe('');
    expect(field(omi, 'ORC', 3)).toBe('');
  });

  it('is refused below 2.5 as a settings problem, naming both settings', () => {
    expect(settingsProblem({ messageType: 'OMI^O23', version: '2.4' })).toMatch(/OMI\^O23.*2\.5.*version is 2\.4/);
    expect(settingsProblem({ messageType: 'ORM^O01', version: '2.3' })).toBeUndefined();
    expect(() => build({}, { messageType: 'OMI^O23', version: '2.4' })).toThrow(PermanentError);
  });
});

describe('order control and status', () => {
  it.each([
    ['create', 'active', 'NW', 'SC'],
    ['update', 'active', 'XO', 'SC'],
    ['update', 'completed', 'XO', 'CM'],
    ['update', 'revoked', 'CA', 'CA'],
    ['create', 'entered-in-error', 'CA', 'CA'],
    ['update', 'on-hold', 'HD', 'HD'],
    ['delete', 'active', 'CA', 'CA'],
    ['create', 'draft', 'NW', ''],
  ] as const)('%s of a %s order → ORC-1 %s, ORC-5 %s', (interaction, status, control, orderStatus) => {
    const { built, message } = build({ interaction, serviceRequest: { ...request, status } });
    expect(built.orderControl).toBe(control);
    expect(field(message, 'ORC', 1)).toBe(control);
    expect(field(message, 'ORC', 5)).toBe(orderStatus);
  });

  it.each([
    ['stat', 'S'],
    ['asap', 'A'],
    ['urgent', 'A'],
    ['routine', 'R'],
    [undefined, ''],
  ] as const)('priority %s → %s', (priority, code) => {
    const { message } = build({ serviceRequest: { ...request, priority } }, { messageType: 'OMI^O23' });
    expect(field(message, 'TQ1', 9)).toBe(code);
  });
});

describe('choices and fallbacks', () => {
  it('sends only the configured patient identifier system', () => {
    const { message } = build({}, { patientIdentifierSystem: 'https://fhir.kemkes.go.id/id/nik' });
    expect(field(message, 'PID', 3)).toBe('3201234567890001^^^DUKCAPIL');
  });

  it('refuses a patient without the configured identifier, naming the setting', () => {
    expect(() => build({}, { patientIdentifierSystem: 'https://example.org/none' })).toThrow(/Patient\/p1 has no identifier with system https:\/\/example.org\/none \(patientIdentifierSystem\)/);
  });

  it('refuses a patient with no identifier at all', () => {
    expect(() => build({ patient: { ...patient, identifier: [{ system: 'x', value: '  ' }] } })).toThrow(PermanentError);
  });

  it('takes the placer number from placerOrderSystem when set', () => {
    const { message } = build({}, { placerOrderSystem: 'https://rs-sehat.example/id/acsn' });
    expect(field(message, 'ORC', 2)).toBe('ACC-9^acsn');
    expect(() => build({}, { placerOrderSystem: 'https://example.org/none' })).toThrow(/placerOrderSystem/);
  });

  it('skips the accession for the default placer number, and places an unnumbered order under our name with its id', () => {
    const acsnFirst = { ...request, identifier: [request.identifier![1], request.identifier![0]] };
    expect(field(build({ serviceRequest: acsnFirst }).message, 'ORC', 2)).toBe('ORD-42^placer');
    const unnumbered = { ...request, identifier: undefined };
    const { message } = build({ serviceRequest: unnumbered });
    expect(field(message, 'ORC', 2)).toBe('sr1^SIMPUL');
    expect(field(message, 'ORC', 3)).toBe('');
  });

  it('refuses an order without a code, and sends a text-only code as ^text', () => {
    expect(() => build({ serviceRequest: { ...request, code: undefined } })).toThrow(/OBR-4/);
    const { message } = build({ serviceRequest: { ...request, code: { text: 'Foto thorax' } } });
    expect(field(message, 'OBR', 4)).toBe('^Foto thorax');
  });

  it('names an unknown code system L and keeps a short system name as it is', () => {
    const local = { ...request, code: { coding: [{ system: 'https://rs.example/codes', code: 'X1', display: 'Local' }] } };
    expect(field(build({ serviceRequest: local }).message, 'OBR', 4)).toBe('X1^Local^L');
    const short = { ...request, code: { coding: [{ system: '99RAD', code: 'X1' }] } };
    expect(field(build({ serviceRequest: short }).message, 'OBR', 4)).toBe('X1^^99RAD');
  });

  it('sends PV1-2 U and no visit without an Encounter, and nothing for a requester that is not there', () => {
    const { message } = build({ encounter: undefined, requester: undefined });
    expect(field(message, 'PV1', 2)).toBe('U');
    expect(field(message, 'PV1', 19)).toBe('');
    expect(field(message, 'ORC', 12)).toBe('');
    expect(field(message, 'OBR', 16)).toBe('');
  });

  it('sends a requester known only by display text as its name', () => {
    const { message } = build({ requester: { display: 'dr. Anonim' } });
    expect(field(message, 'ORC', 12)).toBe('^dr. Anonim');
  });

  it('takes the occurrence start of a period, and keeps date-only precision', () => {
    const period = { ...request, occurrenceDateTime: undefined, occurrencePeriod: { start: '2024-06-01' } };
    expect(field(build({ serviceRequest: period }).message, 'OBR', 7)).toBe('20240601');
  });

  it('refuses a control id longer than 20 characters', () => {
    expect(() => build({ controlId: 'X'.repeat(21) })).toThrow(/control id/);
  });
});

describe('hostile text', () => {
  const hostile: Patient = {
    ...patient,
    identifier: [{ system: 'https://rs.example/id/mrn', value: 'A|B^C~D\\E&F' }],
    name: [{ family: "O'Brien|^~\\&", given: ['Ann\rMSH|evil', 'x\u000b\u001cy'] }],
  };
  const { built, message } = build({ patient: hostile });

  it('escapes delimiters so the segment structure cannot change', () => {
    expect(message.segments.map((segment) => segment.name)).toEqual(['MSH', 'PID', 'PV1', 'ORC', 'OBR']);
    expect(['\u000b', '\u001c', '\n'].some((character) => built.text.includes(character))).toBe(false);
    expect(field(message, 'PID', 5)).toBe("O'Brien\\F\\\\S\\\\R\\\\E\\\\T\\^Ann MSH\\F\\evil^x y");
  });

  it('decodes back to the original text', () => {
    const pid = message.getSegment('PID')!;
    expect(unescapeHl7(pid.getComponent(5, 1))).toBe("O'Brien|^~\\&");
    expect(unescapeHl7(pid.getComponent(3, 1))).toBe('A|B^C~D\\E&F');
  });
});
