import type { SatusehatSandbox } from '../create-sandbox.ts';
import type { FhirJson } from '../fhir/fhir-json.ts';

/**
 * Payloads shaped like the ones the SIMRS and the official router send (SATUSEHAT.md sections 5
 * and 6), for the sandbox's own tests.
 */

export const ORG_A = { id: '10000004', name: 'RS Satu', clientId: 'client-a', clientSecret: 'secret-a' };
export const ORG_B = { id: '10000099', name: 'RS Dua', clientId: 'client-b', clientSecret: 'secret-b' };
export const PATIENT_IHS = 'P02478375538';
export const PATIENT_NIK = '9271060312000001';
export const PRACTITIONER_IHS = 'N10000001';
export const DX_SOP_CLASS = '1.2.840.10008.5.1.4.1.1.1.1';

/** A clock tests move by hand, so token expiry needs no waiting. */
export class FakeClock {
  time = Date.parse('2025-09-09T07:00:00Z');
  readonly now = (): number => this.time;
  advance(ms: number): void {
    this.time += ms;
  }
}

export async function tokenFor(sandbox: SatusehatSandbox, org: { clientId: string; clientSecret: string } = ORG_A): Promise<string> {
  const response = await sandbox.app.inject({
    method: 'POST',
    url: '/oauth2/v1/accesstoken?grant_type=client_credentials',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ client_id: org.clientId, client_secret: org.clientSecret }).toString(),
  });
  if (response.statusCode !== 200) throw new Error(`token request failed: ${response.statusCode} ${response.body}`);
  return response.json().access_token as string;
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

export function accessionIdentifier(orgId: string, accession: string): Record<string, unknown> {
  return {
    use: 'usual',
    type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'ACSN' }] },
    system: `http://sys-ids.kemkes.go.id/acsn/${orgId}`,
    value: accession,
  };
}

export function serviceRequest(orgId: string, accession: string, patient = PATIENT_IHS): FhirJson {
  return {
    resourceType: 'ServiceRequest',
    status: 'active',
    intent: 'original-order',
    priority: 'routine',
    identifier: [{ system: `http://sys-ids.kemkes.go.id/servicerequest/${orgId}`, value: `SR-${accession}` }, accessionIdentifier(orgId, accession)],
    category: [{ coding: [{ system: 'http://snomed.info/sct', code: '363679005', display: 'Imaging' }] }],
    code: { coding: [{ system: 'http://loinc.org', code: '24648-8', display: 'XR Chest PA upr' }] },
    subject: { reference: `Patient/${patient}` },
    occurrenceDateTime: '2025-09-09T02:05:00+00:00',
    requester: { reference: `Practitioner/${PRACTITIONER_IHS}` },
  };
}

export interface ImagingStudyFixture {
  orgId: string;
  accession: string;
  studyUid: string;
  serviceRequestId: string;
  patient?: string;
  sopUids?: string[];
}

/** The router-generated payload that production accepted (section 6). */
export function imagingStudy(fixture: ImagingStudyFixture): FhirJson {
  const modality = { system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'DX' };
  const sopUids = fixture.sopUids ?? [`${fixture.studyUid}.1.1`];
  return {
    resourceType: 'ImagingStudy',
    status: 'available',
    identifier: [accessionIdentifier(fixture.orgId, fixture.accession), { system: 'urn:dicom:uid', value: `urn:oid:${fixture.studyUid}` }],
    modality: [modality],
    subject: { reference: `Patient/${fixture.patient ?? PATIENT_IHS}` },
    basedOn: [{ reference: `ServiceRequest/${fixture.serviceRequestId}` }],
    started: '2025-09-09T14:17:30+07:00',
    numberOfSeries: 1,
    numberOfInstances: sopUids.length,
    series: [
      {
        uid: `${fixture.studyUid}.1`,
        number: 1,
        numberOfInstances: sopUids.length,
        modality,
        instance: sopUids.map((uid, index) => ({
          uid,
          number: index + 1,
          title: 'ORIGINAL\\PRIMARY',
          sopClass: { system: 'urn:ietf:rfc:3986', code: `urn:oid:${DX_SOP_CLASS}` },
        })),
      },
    ],
  };
}

export function encounter(orgId: string, number: string): FhirJson {
  return {
    resourceType: 'Encounter',
    status: 'arrived',
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB', display: 'ambulatory' },
    identifier: [{ system: `http://sys-ids.kemkes.go.id/encounter/${orgId}`, value: number }],
    subject: { reference: `Patient/${PATIENT_IHS}`, display: 'Ardianto Putra' },
    participant: [{ individual: { reference: `Practitioner/${PRACTITIONER_IHS}` } }],
    period: { start: '2025-09-09T01:00:00+00:00' },
    serviceProvider: { reference: `Organization/${orgId}` },
  };
}

/** Creates a resource through the API and returns what the sandbox answered. */
export async function created(sandbox: SatusehatSandbox, token: string, resource: FhirJson): Promise<FhirJson> {
  const response = await sandbox.app.inject({ method: 'POST', url: `/fhir-r4/v1/${resource.resourceType}`, headers: bearer(token), payload: resource });
  if (response.statusCode !== 201) throw new Error(`create ${resource.resourceType} failed: ${response.statusCode} ${response.body}`);
  return response.json();
}
