/** The preview worker (`simpul previews`): JPEG previews and thumbnails of stored DICOM instances. See adapters/README.md. */
export { createPreviewHandler, startPreviewWorker, PREVIEWS_QUEUE } from './preview-worker.ts';
export type { PreviewHandler, PreviewLinked, PreviewResult, PreviewWorker, PreviewWorkerOptions, StartPreviewWorkerOptions } from './preview-worker.ts';
export { previewBinaryId, thumbnailBinaryId } from './preview-ids.ts';
export { RenderPool } from './render-pool.ts';
export type { RenderedPreview } from './render-pool.ts';
