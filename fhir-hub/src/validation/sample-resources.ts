/** Typical valid resources of the kinds the hub stores, shared by the validation tests. */

export const patient = {
  resourceType: 'Patient',
  id: 'p-1',
  meta: { profile: ['https://example.org/unknown-profile'] },
  text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Siti Aminah</div>' },
  identifier: [
    { use: 'official', system: 'https://fhir.kemkes.go.id/id/nik', value: '3174010101900001' },
    { use: 'secondary', system: 'urn:oid:1.2.3', value: 'MRN-1' },
  ],
  active: true,
  name: [{ use: 'official', family: 'Aminah', given: ['Siti', 'Nur'] }],
  telecom: [{ system: 'phone', value: '+62 21 555', use: 'mobile' }],
  gender: 'female',
  birthDate: '1990-01-01',
  address: [{ use: 'home', type: 'physical', line: ['Jl. Merdeka 1'], city: 'Jakarta', country: 'ID' }],
  maritalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', code: 'M' }] },
  communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'id' }] }, preferred: true }],
  contact: [{ relationship: [{ text: 'mother' }], name: { family: 'Aminah' }, gender: 'female' }],
};

export const observation = {
  resourceType: 'Observation',
  id: 'o-1',
  status: 'final',
  category: [
    { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] },
  ],
  code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
  subject: { reference: 'Patient/p-1' },
  effectiveDateTime: '2024-05-01T08:30:00+07:00',
  valueQuantity: { value: 72, unit: 'beats/minute', system: 'http://unitsofmeasure.org', code: '/min' },
  referenceRange: [{ low: { value: 60, unit: '/min' }, high: { value: 100, unit: '/min' } }],
  component: [{ code: { text: 'rhythm' }, valueString: 'regular' }],
};

export const serviceRequest = {
  resourceType: 'ServiceRequest',
  id: 'sr-1',
  identifier: [
    {
      type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'ACSN' }] },
      system: 'https://rs-a.example.org/accession',
      value: 'ACC-2024-0001',
    },
  ],
  status: 'active',
  intent: 'order',
  priority: 'urgent',
  code: { coding: [{ system: 'http://loinc.org', code: '36643-5', display: 'XR Chest 2V' }] },
  subject: { reference: 'Patient/p-1' },
  authoredOn: '2024-05-01T08:00:00Z',
};

export const imagingStudy = {
  resourceType: 'ImagingStudy',
  id: 'is-1',
  identifier: [{ system: 'urn:dicom:uid', value: 'urn:oid:1.2.840.113619.2.55.3' }],
  status: 'available',
  subject: { reference: 'Patient/p-1' },
  basedOn: [{ reference: 'ServiceRequest/sr-1' }],
  started: '2024-05-01T09:00:00+07:00',
  numberOfSeries: 1,
  numberOfInstances: 1,
  series: [
    {
      uid: '1.2.840.113619.2.55.3.1',
      number: 1,
      modality: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'DX' },
      numberOfInstances: 1,
      instance: [
        {
          uid: '1.2.840.113619.2.55.3.1.1',
          sopClass: { system: 'urn:ietf:rfc:3986', code: 'urn:oid:1.2.840.10008.5.1.4.1.1.1.1' },
          number: 1,
          extension: [
            {
              url: 'https://simpul.dev/fhir/StructureDefinition/preview',
              valueAttachment: { contentType: 'image/jpeg', url: 'Binary/b-1' },
            },
          ],
        },
      ],
    },
  ],
};

export const transaction = {
  resourceType: 'Bundle',
  type: 'transaction',
  entry: [
    {
      fullUrl: 'urn:uuid:6f1c3c1e-2f7a-4d2b-9a47-0d3c2a1b5e10',
      resource: { ...patient, id: undefined, meta: undefined },
      request: { method: 'PUT', url: 'Patient?identifier=https://fhir.kemkes.go.id/id/nik|3174010101900001' },
    },
    {
      fullUrl: 'urn:uuid:0b5f0d2c-2f86-4d73-8a3e-6b0e6f4d9a11',
      resource: { ...observation, id: undefined, subject: { reference: 'urn:uuid:6f1c3c1e-2f7a-4d2b-9a47-0d3c2a1b5e10' } },
      request: { method: 'POST', url: 'Observation' },
    },
  ],
};

export function minimalClaim(): Record<string, unknown> {
  return {
    resourceType: 'Claim',
    status: 'active',
    type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: 'institutional' }] },
    use: 'claim',
    patient: { reference: 'Patient/p-1' },
    created: '2024-05-01',
    provider: { reference: 'Organization/o-1' },
    priority: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/processpriority', code: 'normal' }] },
    insurance: [{ sequence: 1, focal: true, coverage: { reference: 'Coverage/c-1' } }],
  };
}
