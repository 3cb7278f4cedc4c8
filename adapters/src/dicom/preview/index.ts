export { initializeCodecs } from './codecs.ts';
export { PreviewError } from './preview-error.ts';
export type { PreviewFailure } from './preview-error.ts';
export { PREVIEW_MAX_SIZE, THUMBNAIL_MAX_SIZE, renderPreview, renderThumbnail } from './render-preview.ts';
export type { PreviewImage, PreviewOptions } from './render-preview.ts';
