import type { Extension, ImagingStudy } from '@medplum/fhirtypes';
import { DicomIngestError } from './dicom-ingest-error.ts';

/** Extension on ImagingStudy.series.instance: the instance's JPEG preview (a Binary). */
export const PREVIEW_EXTENSION_URL = 'https://simpul.dev/fhir/StructureDefinition/preview';
/** Extension on ImagingStudy.series: the series' JPEG thumbnail (a Binary). */
export const THUMBNAIL_EXTENSION_URL = 'https://simpul.dev/fhir/StructureDefinition/thumbnail';

const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** Returns a copy of `study` whose instance `sopInstanceUid` points at its preview `Binary/<binaryId>`. */
export function setInstancePreview(study: ImagingStudy, sopInstanceUid: string, binaryId: string): ImagingStudy {
  const extension = jpegExtension(PREVIEW_EXTENSION_URL, binaryId);
  let found = false;
  const series = (study.series ?? []).map((item) => ({
    ...item,
    instance: item.instance?.map((instance) => {
      if (instance.uid !== sopInstanceUid) {
        return instance;
      }
      found = true;
      return { ...instance, extension: replaceExtension(instance.extension, extension) };
    }),
  }));
  if (!found) {
    throw new DicomIngestError('instance-not-found', `the study has no instance ${sopInstanceUid}`);
  }
  return { ...study, series };
}

/** Returns a copy of `study` whose series `seriesInstanceUid` points at its thumbnail `Binary/<binaryId>`. */
export function setSeriesThumbnail(study: ImagingStudy, seriesInstanceUid: string, binaryId: string): ImagingStudy {
  const extension = jpegExtension(THUMBNAIL_EXTENSION_URL, binaryId);
  if (!(study.series ?? []).some((item) => item.uid === seriesInstanceUid)) {
    throw new DicomIngestError('series-not-found', `the study has no series ${seriesInstanceUid}`);
  }
  return {
    ...study,
    series: study.series?.map((item) =>
      item.uid === seriesInstanceUid ? { ...item, extension: replaceExtension(item.extension, extension) } : item,
    ),
  };
}

function jpegExtension(url: string, binaryId: string): Extension {
  if (!FHIR_ID.test(binaryId)) {
    throw new RangeError(`not a FHIR resource id: ${JSON.stringify(binaryId)}`);
  }
  return { url, valueAttachment: { contentType: 'image/jpeg', url: `Binary/${binaryId}` } };
}

/** Replaces the extension with the same URL (one preview per element), keeping all others in place. */
function replaceExtension(current: Extension[] | undefined, extension: Extension): Extension[] {
  const others = current ?? [];
  const index = others.findIndex((item) => item.url === extension.url);
  return index === -1 ? [...others, extension] : others.map((item, i) => (i === index ? extension : item));
}
