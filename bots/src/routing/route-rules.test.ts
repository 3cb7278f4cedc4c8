import type { ImagingStudy, Patient, Practitioner, ServiceRequest } from '@medplum/fhirtypes';
import { receivedFromExtension, routingConfigSchema } from '@simpul/infra';
import { describe, expect, it } from 'vitest';
import { evaluateRule, matchRoutes } from './route-rules.ts';
import { gatherRoutingFacts, type ReferenceReader } from './routing-facts.ts';

const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const patient: Patient = { resourceType: 'Patient', id: 'p1', identifier: [{ system: 'https://rs-a.example/mrn', value: 'RSA-00042' }, { system: 'https://fhir.kemkes.go.id/id/nik', value: '3171234567890001' }] };
const doctor: Practitioner = { resourceType: 'Practitioner', id: 'd1', name: [{ prefix: ['dr.'], given: ['Siti'], family: 'Rahma' }] };
const reader: ReferenceReader = async (reference) => {
  if (reference.reference === 'Patient/p1') return patient as never;
  if (reference.reference === 'Practitioner/d1') return doctor as never;
  return undefined;
};

const study: ImagingStudy = {
  resourceType: 'ImagingStudy',
  id: 's1',
  status: 'available',
  subject: { reference: 'Patient/p1' },
  referrer: { reference: 'Practitioner/d1' },
  description: 'CT Thorax with contrast',
  modality: [{ system: DCM, code: 'CT' }],
  series: [{ uid: '1.2.3', modality: { system: DCM, code: 'SR' }, description: 'Dose report' }],
  extension: [receivedFromExtension({ protocol: 'dicom', callingAeTitle: 'CT01', calledAeTitle: 'SIMPUL' })],
};
const order: ServiceRequest = {
  resourceType: 'ServiceRequest',
  id: 'o1',
  status: 'active',
  intent: 'order',
  subject: { reference: 'Patient/p1' },
  requester: { display: 'dr. Budi' },
  code: { text: 'MRI Brain' },
  orderDetail: [{ coding: [{ system: DCM, code: 'MR' }] }],
  extension: [receivedFromExtension({ protocol: 'hl7v2', sendingApplication: 'SIMRS', sendingFacility: 'RSUD-A' })],
};

function rules(list: unknown[]) {
  return routingConfigSchema.parse({
    destinations: {
      'pacs-a': { type: 'pacs', aeTitle: 'PACS_A', host: '127.0.0.1', port: 104 },
      'pacs-b': { type: 'pacs', aeTitle: 'PACS_B', host: '127.0.0.1', port: 105 },
      ris: { type: 'ris', host: '127.0.0.1', port: 2576 },
    },
    rules: list,
  }).rules;
}

describe('routing facts', () => {
  it('gathers modalities, AE titles, patient identifiers, physician names and descriptions of a study', async () => {
    const facts = await gatherRoutingFacts(study, reader);
    expect(facts).toEqual({
      resourceType: 'ImagingStudy',
      modalities: ['CT', 'SR'],
      callingAeTitles: ['CT01'],
      calledAeTitles: ['SIMPUL'],
      sendingFacilities: [],
      patientIdentifiers: ['https://rs-a.example/mrn|RSA-00042', 'https://fhir.kemkes.go.id/id/nik|3171234567890001'],
      referringPhysicians: ['Practitioner/d1', 'dr. Siti Rahma'],
      studyDescriptions: ['CT Thorax with contrast', 'Dose report'],
    });
  });

  it('takes an order’s modality from orderDetail and its facility from MSH-4', async () => {
    const facts = await gatherRoutingFacts(order, reader);
    expect(facts.modalities).toEqual(['MR']);
    expect(facts.sendingFacilities).toEqual(['RSUD-A']);
    expect(facts.referringPhysicians).toEqual(['dr. Budi']);
    expect(facts.studyDescriptions).toEqual(['MRI Brain']);
  });

  it('a patient it cannot read leaves only the identifiers the reference carries', async () => {
    const facts = await gatherRoutingFacts({ ...study, subject: { reference: 'Patient/gone', identifier: { system: 'urn:x', value: '7' } } }, reader);
    expect(facts.patientIdentifiers).toEqual(['urn:x|7']);
  });
});

describe('routing rules', () => {
  it('fans out to every destination of every matching rule, once each, with the longest stability wait', async () => {
    const list = rules([
      { name: 'ct', when: { resourceType: 'ImagingStudy', modality: ['ct', 'MR'] }, sendTo: ['pacs-a', 'pacs-b'], stableSeconds: 5 },
      { name: 'from-ct01', when: { resourceType: 'ImagingStudy', callingAeTitle: 'CT01' }, sendTo: ['pacs-b'], stableSeconds: 30 },
      { name: 'orders', when: { resourceType: 'ServiceRequest' }, sendTo: ['ris'] },
    ]);
    expect(matchRoutes(list, await gatherRoutingFacts(study, reader))).toEqual([
      { destination: 'pacs-a', rules: ['ct'], stableSeconds: 5 },
      { destination: 'pacs-b', rules: ['ct', 'from-ct01'], stableSeconds: 30 },
    ]);
    expect(matchRoutes(list, await gatherRoutingFacts(order, reader))).toEqual([{ destination: 'ris', rules: ['orders'], stableSeconds: 0 }]);
  });

  it('every condition must hold, and says which one did not', async () => {
    const facts = await gatherRoutingFacts(study, reader);
    const [rule] = rules([{ name: 'mr-from-ct01', when: { resourceType: 'ImagingStudy', callingAeTitle: 'CT01', modality: 'MR' }, sendTo: ['pacs-a'] }]);
    expect(evaluateRule(rule, facts)).toEqual({ rule: 'mr-from-ct01', matched: false, reason: 'modality: wants MR, the ImagingStudy has CT, SR' });
  });

  it('patterns search identifiers, physicians and descriptions without case', async () => {
    const facts = await gatherRoutingFacts(study, reader);
    const list = rules([
      { name: 'rs-a', when: { resourceType: 'ImagingStudy', patientIdentifier: '^https://rs-a\\.example/mrn\\|RSA-' }, sendTo: ['pacs-a'] },
      { name: 'dr-siti', when: { resourceType: 'ImagingStudy', referringPhysician: 'siti' }, sendTo: ['pacs-a'] },
      { name: 'thorax', when: { resourceType: 'ImagingStudy', studyDescription: 'THORAX' }, sendTo: ['pacs-a'] },
      { name: 'abdomen', when: { resourceType: 'ImagingStudy', studyDescription: 'abdomen' }, sendTo: ['pacs-b'] },
    ]);
    expect(list.map((rule) => evaluateRule(rule, facts).matched)).toEqual([true, true, true, false]);
  });

  it('a rule for orders never matches a study', async () => {
    const [rule] = rules([{ name: 'orders', when: { resourceType: 'ServiceRequest' }, sendTo: ['ris'] }]);
    expect(evaluateRule(rule, await gatherRoutingFacts(study, reader)).reason).toBe('resourceType: wants ServiceRequest, the ImagingStudy has ImagingStudy');
  });
});

describe('routing config', () => {
  it('refuses a rule that sends to an unknown destination, naming the known ones', () => {
    const result = routingConfigSchema.safeParse({
      destinations: { 'pacs-a': { type: 'pacs', aeTitle: 'PACS_A', host: '127.0.0.1', port: 104 } },
      rules: [{ name: 'x', when: { resourceType: 'ImagingStudy' }, sendTo: ['pacs-z'] }],
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]).toMatchObject({ path: ['rules', 0, 'sendTo', 0], message: expect.stringContaining('pacs-a') });
  });

  it('refuses a pattern that is not a regular expression and an unknown condition', () => {
    const base = { destinations: { 'pacs-a': { type: 'pacs', aeTitle: 'PACS_A', host: '127.0.0.1', port: 104 } } };
    const badPattern = routingConfigSchema.safeParse({ ...base, rules: [{ name: 'x', when: { resourceType: 'ImagingStudy', studyDescription: '(' }, sendTo: ['pacs-a'] }] });
    expect(badPattern.error?.issues[0].path).toEqual(['rules', 0, 'when', 'studyDescription']);
    const unknown = routingConfigSchema.safeParse({ ...base, rules: [{ name: 'x', when: { resourceType: 'ImagingStudy', colour: 'red' }, sendTo: ['pacs-a'] }] });
    expect(unknown.success).toBe(false);
  });

  it('refuses a destination without what its kind needs', () => {
    const result = routingConfigSchema.safeParse({ destinations: { sat: { type: 'satusehat', authUrl: 'https://x/oauth2/v1', fhirUrl: 'https://x/fhir-r4/v1' } } });
    expect(result.error?.issues.map((issue) => issue.path.join('.')).sort()).toEqual(['destinations.sat.clientId', 'destinations.sat.clientSecret', 'destinations.sat.organizationId']);
  });
});
