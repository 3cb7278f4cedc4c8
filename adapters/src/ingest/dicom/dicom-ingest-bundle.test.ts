import type { Device, ImagingStudy, Patient, Provenance } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { extractInstanceMetadata } from '../../dicom/data/instance-metadata.ts';
import { parseDicomFile } from '../../dicom/data/parse-dicom-file.ts';
import { ctGradient } from '../../dicom/data/testing/synthetic-images.ts';
import { writeDicomFile } from '../../dicom/data/write-dicom-file.ts';
import { buildDicomIngestBundle, dicomIngestFullUrls } from './dicom-ingest-bundle.ts';
import type { DicomIngestContext } from './dicom-ingest-bundle.ts';
import { mergeInstanceIntoStudy } from './merge-instance-into-study.ts';
import { STUDY_UID, instanceMetadata } from './testing/instances.ts';
import { validateR4 } from './testing/validate-r4.ts';

const context: DicomIngestContext = {
  patientIdentifierSystems: { byIssuer: { NIK: 'https://fhir.kemkes.go.id/id/nik', 'RSUD-A': 'http://sys-ids.kemkes.go.id/mrn/10000004' }, withoutIssuer: 'urn:simpul:mrn:rsud-a' },
  message: { id: 'msg-0001', sender: 'CT01' },
  recorded: '2025-09-09T07:18:00.000Z',
};

describe('buildDicomIngestBundle', () => {
  it('creates the Patient only if none has the identifier, and records the source', async () => {
    const bundle = buildDicomIngestBundle(instanceMetadata(0, 0), context);
    const urls = dicomIngestFullUrls('msg-0001');
    expect(bundle.type).toBe('transaction');
    expect(bundle.entry?.map((entry) => entry.request)).toEqual([
      { method: 'POST', url: 'Patient', ifNoneExist: 'identifier=https://fhir.kemkes.go.id/id/nik|3404012345678901' },
      { method: 'POST', url: 'Device', ifNoneExist: 'identifier=https://simpul.dev/fhir/id/dicom-ae-title|CT01' },
      { method: 'PUT', url: 'Provenance?entity:identifier=https://simpul.dev/fhir/id/message-store|msg-0001' },
    ]);
    expect(bundle.entry?.[0]).toMatchObject({ fullUrl: urls.patient });
    expect(bundle.entry?.[0].resource).toEqual({
      resourceType: 'Patient',
      identifier: [{ system: 'https://fhir.kemkes.go.id/id/nik', value: '3404012345678901' }],
      name: [{ use: 'official', text: 'Sukarno' }],
      gender: 'male',
      birthDate: '1945-08-17',
    });
    expect(bundle.entry?.[1].resource).toEqual({
      resourceType: 'Device',
      identifier: [{ system: 'https://simpul.dev/fhir/id/dicom-ae-title', value: 'CT01' }],
      status: 'active',
      deviceName: [{ name: 'CT01', type: 'user-friendly-name' }],
    });
    const provenance = bundle.entry?.[2].resource as Provenance;
    expect(provenance.target).toEqual([{ reference: urls.patient }, { reference: urls.device }]);
    expect(provenance.agent).toEqual([
      { type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type', code: 'author', display: 'Author' }] }, who: { reference: urls.device, display: 'CT01' } },
    ]);
    expect(provenance.recorded).toBe('2025-09-09T07:18:00.000Z');
    expect(provenance.entity?.map((entity) => entity.what.identifier?.value)).toEqual(['msg-0001', `urn:oid:${STUDY_UID}.0.0`]);
    expect(provenance.entity?.[0].what.display).toBe(`DICOM instance ${STUDY_UID}.0.0 from CT01`);
    for (const entry of bundle.entry ?? []) {
      await validateR4(entry.resource as Patient | Device | Provenance);
    }
  });

  it('writes a new study with create-if-none-exist on its UID, referring to the Patient entry', async () => {
    const urls = dicomIngestFullUrls('msg-0001');
    const study = mergeInstanceIntoStudy(undefined, instanceMetadata(0, 0), { subject: { reference: urls.patient }, accessionSystem: 'urn:acsn' });
    const bundle = buildDicomIngestBundle(instanceMetadata(0, 0), { ...context, imagingStudy: { resource: study } });
    expect(bundle.entry?.[1]).toEqual({
      fullUrl: urls.imagingStudy,
      resource: study,
      request: { method: 'POST', url: 'ImagingStudy', ifNoneExist: `identifier=urn:dicom:uid|urn:oid:${STUDY_UID}` },
    });
    expect((bundle.entry?.[3].resource as Provenance).target).toEqual([{ reference: urls.patient }, { reference: urls.imagingStudy }, { reference: urls.device }]);
    await validateR4(bundle);
  });

  it('updates an existing study with If-Match on the version it merged into', () => {
    const study: ImagingStudy = { ...mergeInstanceIntoStudy(undefined, instanceMetadata(0, 0), { subject: { reference: 'Patient/p1' }, accessionSystem: 'urn:acsn' }), id: 'is-9' };
    const bundle = buildDicomIngestBundle(instanceMetadata(0, 1), { ...context, imagingStudy: { resource: study, versionId: '4' } });
    expect(bundle.entry?.[1].request).toEqual({ method: 'PUT', url: 'ImagingStudy/is-9', ifMatch: 'W/"4"' });
    expect(() => buildDicomIngestBundle(instanceMetadata(0, 1), { ...context, imagingStudy: { resource: study } })).toThrow(/needs the versionId/);
  });

  it('maps the issuer through the assigning-authority map, and a Patient ID without issuer to the facility system', () => {
    const withoutIssuer = instanceMetadata(0, 0, { patient: { id: 'RM 12|34,5', name: { text: 'Budi Santoso', family: 'Santoso', given: ['Budi'] } } });
    const bundle = buildDicomIngestBundle(withoutIssuer, context);
    expect(bundle.entry?.[0].request?.ifNoneExist).toBe('identifier=urn:simpul:mrn:rsud-a|RM%2012%5C%7C34%5C%2C5');
    expect((bundle.entry?.[0].resource as Patient).name).toEqual([{ use: 'official', text: 'Budi Santoso', family: 'Santoso', given: ['Budi'] }]);
    const mrn = instanceMetadata(0, 0, { patient: { id: '00123', issuer: 'RSUD-A' } });
    expect(buildDicomIngestBundle(mrn, context).entry?.[0].resource).toEqual({
      resourceType: 'Patient',
      identifier: [{ system: 'http://sys-ids.kemkes.go.id/mrn/10000004', value: '00123' }],
    });
  });

  it('refuses an instance without Patient ID or with an unmapped issuer, naming it', () => {
    expect(() => buildDicomIngestBundle(instanceMetadata(0, 0, { patient: {} }), context)).toThrow(`missing-patient-id: instance ${STUDY_UID}.0.0 has no Patient ID (0010,0020)`);
    expect(() => buildDicomIngestBundle(instanceMetadata(0, 0, { patient: { id: '1', issuer: 'RS LAIN' } }), context)).toThrow(
      /unknown-issuer: Issuer of Patient ID "RS LAIN" .* \(known: NIK, RSUD-A\)/,
    );
  });

  it('uses the same entry URLs for the same message, so a replay sends the same transaction', () => {
    expect(buildDicomIngestBundle(instanceMetadata(0, 0), context)).toStrictEqual(buildDicomIngestBundle(instanceMetadata(0, 0), context));
    const urls = dicomIngestFullUrls('msg-0001');
    expect(urls.patient).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set([...Object.values(urls), ...Object.values(dicomIngestFullUrls('msg-0002'))]).size).toBe(8);
  });

  it('goes from a DICOM file to a valid transaction', async () => {
    const file = writeDicomFile({ ...ctGradient({ rows: 16, columns: 16 }), IssuerOfPatientID: 'RSUD-A', AccessionNumber: 'ACC-9', StudyDate: '20250909', StudyTime: '0800', Manufacturer: 'GE', ManufacturerModelName: 'Revolution', StationName: 'CTRUANG2' });
    const instance = extractInstanceMetadata(parseDicomFile(file), { defaultTimeZone: 'Asia/Jakarta' });
    const urls = dicomIngestFullUrls('msg-file');
    const study = mergeInstanceIntoStudy(undefined, instance, { subject: { reference: urls.patient }, accessionSystem: 'http://sys-ids.kemkes.go.id/acsn/10000004' });
    const bundle = buildDicomIngestBundle(instance, { ...context, message: { id: 'msg-file', sender: 'CT01' }, imagingStudy: { resource: study } });
    expect(study).toMatchObject({ started: '2025-09-09T08:00:00+07:00', numberOfInstances: 1, subject: { reference: urls.patient } });
    expect(bundle.entry?.[0].resource).toMatchObject({ identifier: [{ system: 'http://sys-ids.kemkes.go.id/mrn/10000004', value: 'RM-0001' }], name: [{ family: 'Santoso', given: ['Budi'] }] });
    expect(bundle.entry?.map((entry) => entry.resource?.resourceType)).toEqual(['Patient', 'ImagingStudy', 'Device', 'Provenance']);
    expect(bundle.entry?.[2].resource).toMatchObject({ manufacturer: 'GE', deviceName: [{ name: 'CT01 (CTRUANG2)', type: 'user-friendly-name' }, { name: 'Revolution', type: 'model-name' }] });
    await validateR4(bundle);
  });
});
