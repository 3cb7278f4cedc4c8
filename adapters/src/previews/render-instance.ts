import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { PREVIEW_MAX_SIZE, THUMBNAIL_MAX_SIZE, renderPreview, type PreviewImage } from '../dicom/preview/index.ts';

export interface RenderedInstance {
  readonly preview: PreviewImage;
  /** Only when asked for (one per series). */
  readonly thumbnail: Buffer | undefined;
}

/**
 * Reads an instance from the blob store and renders its preview (1024 pixels on the longest side, never
 * enlarged) and, when asked, the series thumbnail (256), which is scaled from the preview rather than
 * rendered a second time. Throws PreviewError when the instance has no image to show.
 */
export async function renderInstance(storageDir: string, path: string, withThumbnail: boolean): Promise<RenderedInstance> {
  const bytes = await readFile(join(storageDir, path));
  const preview = await renderPreview(bytes, { maxSize: PREVIEW_MAX_SIZE });
  const thumbnail = withThumbnail
    ? await sharp(preview.jpeg).resize(THUMBNAIL_MAX_SIZE, THUMBNAIL_MAX_SIZE, { fit: 'inside', withoutEnlargement: true }).jpeg({ quality: 80 }).toBuffer()
    : undefined;
  return { preview, thumbnail };
}
