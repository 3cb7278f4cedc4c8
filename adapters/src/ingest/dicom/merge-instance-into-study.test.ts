import { readReceivedFrom } from '@simpul/infra';
import type { ImagingStudy } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import type { InstanceMetadata } from '../../dicom/data/instance-metadata.ts';
import { DicomIngestError } from './dicom-ingest-error.ts';
import { mergeInstanceIntoStudy } from './merge-instance-into-study.ts';
import type { StudyMergeContext } from './merge-instance-into-study.ts';
import { STUDY_UID, instanceMetadata, shuffled } from './testing/instances.ts';
import { validateR4 } from './testing/validate-r4.ts';

const context: StudyMergeContext = {
  subject: { reference: 'Patient/p1' },
  basedOn: { reference: 'ServiceRequest/sr1' },
  accessionSystem: 'http://sys-ids.kemkes.go.id/acsn/10000004',
};

const allInstances = [0, 1, 2].flatMap((series) => Array.from({ length: 40 }, (_, instance) => instanceMetadata(series, instance)));

const mergeAll = (instances: readonly InstanceMetadata[], start?: ImagingStudy) =>
  instances.reduce<ImagingStudy | undefined>((study, instance) => mergeInstanceIntoStudy(study, instance, context), start) as ImagingStudy;

describe('mergeInstanceIntoStudy', () => {
  const reference = mergeAll(allInstances);

  it('builds the study SATUSEHAT expects from one instance', async () => {
    const study = mergeInstanceIntoStudy(undefined, instanceMetadata(0, 0), context);
    expect(study).toEqual({
      resourceType: 'ImagingStudy',
      status: 'available',
      subject: { reference: 'Patient/p1' },
      identifier: [
        { use: 'official', system: 'urn:dicom:uid', value: `urn:oid:${STUDY_UID}` },
        {
          use: 'usual',
          type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'ACSN' }] },
          system: 'http://sys-ids.kemkes.go.id/acsn/10000004',
          value: 'ACC-00403',
        },
      ],
      modality: [{ system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'CT', display: 'Computed Tomography' }],
      basedOn: [{ reference: 'ServiceRequest/sr1' }],
      started: '2025-09-09T14:17:30+07:00',
      numberOfSeries: 1,
      numberOfInstances: 1,
      description: 'CT THORAX KONTRAS',
      series: [
        {
          uid: `${STUDY_UID}.0`,
          number: 10,
          modality: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'CT', display: 'Computed Tomography' },
          description: 'series 0',
          numberOfInstances: 1,
          bodySite: { system: 'http://snomed.info/sct', code: '816094009', display: 'Chest' },
          instance: [
            {
              uid: `${STUDY_UID}.0.0`,
              sopClass: { system: 'urn:ietf:rfc:3986', code: 'urn:oid:1.2.840.10008.5.1.4.1.1.2' },
              number: 1,
              title: 'ORIGINAL\\PRIMARY\\AXIAL',
            },
          ],
        },
      ],
    });
    await validateR4(study);
  });

  it('gives the same study for any arrival order of 3 series × 40 instances', () => {
    expect(reference.numberOfSeries).toBe(3);
    expect(reference.numberOfInstances).toBe(120);
    for (const seed of [1, 2, 3, 42, 2025]) {
      expect(mergeAll(shuffled(allInstances, seed))).toStrictEqual(reference);
    }
  });

  it('ignores duplicates, also when they arrive interleaved with the rest', () => {
    expect(mergeInstanceIntoStudy(reference, allInstances[7], context)).toStrictEqual(reference);
    expect(mergeAll(shuffled([...allInstances, ...allInstances.slice(0, 50)], 9))).toStrictEqual(reference);
  });

  it('keeps each arrival path (calling and called AE title) once, for routing rules', async () => {
    const viaCt = { ...context, receivedFrom: { protocol: 'dicom' as const, callingAeTitle: 'CT01', calledAeTitle: 'SIMPUL' } };
    const viaMr = { ...context, receivedFrom: { protocol: 'dicom' as const, callingAeTitle: 'MR02', calledAeTitle: 'SIMPUL_B' } };
    let study = mergeInstanceIntoStudy(undefined, allInstances[0], viaCt);
    study = mergeInstanceIntoStudy(study, allInstances[1], viaCt);
    study = mergeInstanceIntoStudy(study, allInstances[2], viaMr);
    expect(readReceivedFrom(study)).toEqual([
      { protocol: 'dicom', callingAeTitle: 'CT01', calledAeTitle: 'SIMPUL' },
      { protocol: 'dicom', callingAeTitle: 'MR02', calledAeTitle: 'SIMPUL_B' },
    ]);
    await validateR4(study);
  });

  it('sorts series by number then UID and instances by number then UID, unnumbered last', () => {
    expect(reference.series?.map((series) => [series.number, series.uid])).toEqual([
      [7, `${STUDY_UID}.1`],
      [10, `${STUDY_UID}.0`],
      [undefined, `${STUDY_UID}.2`],
    ]);
    const numbers = reference.series?.[0].instance?.map((instance) => instance.number ?? null);
    expect(numbers?.slice(0, 4)).toEqual([1, 2, 3, 4]);
    expect(numbers?.slice(-8)).toEqual(Array(8).fill(null));
    expect(reference.series?.map((series) => series.numberOfInstances)).toEqual([40, 40, 40]);
  });

  it('lists each modality once, maps body parts and laterality', () => {
    expect(reference.modality?.map((coding) => coding.code)).toEqual(['CT', 'SR']);
    expect(reference.series?.[0]).toMatchObject({
      bodySite: { display: 'THORAX-ABD' },
      laterality: { system: 'http://snomed.info/sct', code: '24028007', display: 'Right' },
    });
    expect(reference.series?.[0].bodySite?.system).toBeUndefined();
  });

  it('resolves disagreeing instances the same way whatever the order: earliest start, smallest text and number', () => {
    const odd = [
      instanceMetadata(0, 100, { study: { accessionNumber: 'ACC-00404', started: '2025-09-09T14:10:00+07:00', description: 'CT THORAX' } }),
      instanceMetadata(0, 101, { study: { started: '2025-09-09' } }),
      instanceMetadata(0, 102, { series: { modality: 'CT', number: 3, description: 'a different description' } }),
    ];
    const instances = [...allInstances.slice(0, 30), ...odd];
    const expected = mergeAll(instances);
    for (const seed of [5, 6, 7]) {
      expect(mergeAll(shuffled(instances, seed))).toStrictEqual(expected);
    }
    expect(expected.started).toBe('2025-09-09T14:10:00+07:00');
    expect(expected.description).toBe('CT THORAX');
    expect(expected.identifier?.map((identifier) => identifier.value)).toEqual([`urn:oid:${STUDY_UID}`, 'ACC-00403', 'ACC-00404']);
    expect(expected.series?.[0]).toMatchObject({ number: 3, description: 'a different description' });
  });

  it('keeps what others put on the study: previews, SATUSEHAT identifiers, notes, a cancelled status', () => {
    const annotated: ImagingStudy = {
      ...reference,
      id: 'is-1',
      meta: { versionId: '7' },
      status: 'cancelled',
      identifier: [...(reference.identifier ?? []), { system: 'https://satusehat.kemkes.go.id/ImagingStudy', value: 'abc-123' }],
      note: [{ text: 'repeat scan requested' }],
      series: reference.series?.map((series, i) =>
        i === 0 ? { ...series, instance: series.instance?.map((instance, j) => (j === 0 ? { ...instance, extension: [{ url: 'x', valueString: 'y' }] } : instance)) } : series,
      ),
    };
    const merged = mergeInstanceIntoStudy(annotated, allInstances[40], context);
    expect(merged).toStrictEqual(annotated);
    const withNew = mergeInstanceIntoStudy(annotated, instanceMetadata(1, 99), context);
    expect(withNew.numberOfInstances).toBe(121);
    expect(withNew.series?.[0].instance?.[0].extension).toEqual([{ url: 'x', valueString: 'y' }]);
    expect(withNew.identifier?.at(-1)).toEqual({ system: 'https://satusehat.kemkes.go.id/ImagingStudy', value: 'abc-123' });
  });

  it('adds a ServiceRequest found after the first instances without reordering anything else', () => {
    const withoutOrder = allInstances.slice(0, 10).reduce<ImagingStudy | undefined>((study, instance) => mergeInstanceIntoStudy(study, instance, { ...context, basedOn: undefined }), undefined);
    expect(withoutOrder?.basedOn).toBeUndefined();
    expect(mergeInstanceIntoStudy(withoutOrder, allInstances[10], context).basedOn).toEqual([{ reference: 'ServiceRequest/sr1' }]);
  });

  it('refuses an instance of another study or another patient', () => {
    const other = instanceMetadata(0, 0, { studyInstanceUid: '1.2.3' });
    expect(() => mergeInstanceIntoStudy(reference, other, context)).toThrow(DicomIngestError);
    expect(() => mergeInstanceIntoStudy(reference, other, context)).toThrow(/study-uid-mismatch: the study is urn:oid:1\.2\.360/);
    expect(() => mergeInstanceIntoStudy(reference, allInstances[0], { ...context, subject: { reference: 'Patient/p2' } })).toThrow(
      'subject-mismatch: the study belongs to Patient/p1, the instance to Patient/p2',
    );
  });

  it('is what a worker needs to stay correct when a study\'s instances arrive in parallel (read, merge, write with If-Match, retry)', async () => {
    let stored: { study: ImagingStudy; version: number } | undefined;
    let conflicts = 0;
    const ingest = async (instance: InstanceMetadata) => {
      for (;;) {
        const read = stored;
        await new Promise((resolve) => setImmediate(resolve));
        const merged = mergeInstanceIntoStudy(read?.study, instance, context);
        if (stored?.version !== read?.version) {
          conflicts++;
          continue;
        }
        stored = { study: merged, version: (read?.version ?? 0) + 1 };
        return;
      }
    };
    await Promise.all(shuffled(allInstances, 77).map(ingest));
    expect(conflicts).toBeGreaterThan(0);
    expect(stored?.study).toStrictEqual(reference);
  });
});
