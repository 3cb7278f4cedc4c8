import { createHash } from 'node:crypto';

/**
 * Binary ids of previews, derived from the UIDs: rendering an instance again (a redelivery, a replay,
 * another preview worker) writes a new version of the same Binary rather than another Binary.
 */
export function previewBinaryId(sopInstanceUid: string): string {
  return `dicom-preview-${digest(sopInstanceUid)}`;
}

export function thumbnailBinaryId(seriesInstanceUid: string): string {
  return `dicom-thumbnail-${digest(seriesInstanceUid)}`;
}

function digest(uid: string): string {
  return createHash('sha256').update(uid).digest('hex').slice(0, 40);
}
