import type { ImagingStudy } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { DicomIngestError } from './dicom-ingest-error.ts';
import { mergeInstanceIntoStudy } from './merge-instance-into-study.ts';
import { PREVIEW_EXTENSION_URL, THUMBNAIL_EXTENSION_URL, setInstancePreview, setSeriesThumbnail } from './preview-extensions.ts';
import { STUDY_UID, instanceMetadata } from './testing/instances.ts';
import { validateR4 } from './testing/validate-r4.ts';

const context = { subject: { reference: 'Patient/p1' }, accessionSystem: 'urn:acsn' };
const seriesOf = (study: ImagingStudy, uid: string) => study.series?.find((series) => series.uid === uid);
const study = [instanceMetadata(0, 0), instanceMetadata(0, 1), instanceMetadata(1, 0)].reduce(
  (current, instance) => mergeInstanceIntoStudy(current, instance, context),
  mergeInstanceIntoStudy(undefined, instanceMetadata(0, 2), context),
);

describe('preview and thumbnail extensions', () => {
  it('point an instance at its preview Binary and a series at its thumbnail', async () => {
    const withPreview = setInstancePreview(study, `${STUDY_UID}.0.1`, 'bin-1');
    const withBoth = setSeriesThumbnail(withPreview, `${STUDY_UID}.0`, 'bin-2');
    const series = withBoth.series?.find((item) => item.uid === `${STUDY_UID}.0`);
    expect(series?.extension).toEqual([{ url: THUMBNAIL_EXTENSION_URL, valueAttachment: { contentType: 'image/jpeg', url: 'Binary/bin-2' } }]);
    expect(series?.instance?.find((item) => item.uid === `${STUDY_UID}.0.1`)?.extension).toEqual([
      { url: PREVIEW_EXTENSION_URL, valueAttachment: { contentType: 'image/jpeg', url: 'Binary/bin-1' } },
    ]);
    expect(series?.instance?.filter((item) => item.extension).length).toBe(1);
    await validateR4(withBoth);
  });

  it('replace an earlier preview rather than adding a second one, and keep other extensions', () => {
    const first = setInstancePreview(study, `${STUDY_UID}.0.1`, 'old');
    const tagged = setInstancePreview(
      { ...first, series: first.series?.map((s) => ({ ...s, instance: s.instance?.map((i) => (i.extension ? { ...i, extension: [...i.extension, { url: 'other', valueBoolean: true }] } : i)) })) },
      `${STUDY_UID}.0.1`,
      'new',
    );
    const extensions = seriesOf(tagged, `${STUDY_UID}.0`)?.instance?.find((item) => item.uid === `${STUDY_UID}.0.1`)?.extension;
    expect(extensions).toEqual([
      { url: PREVIEW_EXTENSION_URL, valueAttachment: { contentType: 'image/jpeg', url: 'Binary/new' } },
      { url: 'other', valueBoolean: true },
    ]);
  });

  it('survive later merges of more instances', () => {
    const withPreview = setSeriesThumbnail(setInstancePreview(study, `${STUDY_UID}.0.0`, 'p'), `${STUDY_UID}.0`, 't');
    const merged = mergeInstanceIntoStudy(withPreview, instanceMetadata(0, 7), context);
    expect(merged.numberOfInstances).toBe(5);
    expect(seriesOf(merged, `${STUDY_UID}.0`)?.extension?.[0].valueAttachment?.url).toBe('Binary/t');
    expect(seriesOf(merged, `${STUDY_UID}.0`)?.instance?.find((item) => item.uid === `${STUDY_UID}.0.0`)?.extension?.[0].valueAttachment?.url).toBe('Binary/p');
  });

  it('do not modify the study passed in', () => {
    const before = structuredClone(study);
    setSeriesThumbnail(setInstancePreview(study, `${STUDY_UID}.0.0`, 'p'), `${STUDY_UID}.0`, 't');
    expect(study).toStrictEqual(before);
  });

  it('refuse an unknown instance or series, and an id that is not a FHIR id', () => {
    expect(() => setInstancePreview(study, '1.2.3', 'p')).toThrow(DicomIngestError);
    expect(() => setInstancePreview(study, '1.2.3', 'p')).toThrow('instance-not-found: the study has no instance 1.2.3');
    expect(() => setSeriesThumbnail(study, '1.2.3', 't')).toThrow('series-not-found: the study has no series 1.2.3');
    expect(() => setInstancePreview(study, `${STUDY_UID}.0.0`, 'Binary/p')).toThrow(RangeError);
  });
});
