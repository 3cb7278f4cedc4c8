/** Public entry of @simpul/adapters: the edges, the mappers and the ingest worker. */
export * as hl7Mapping from './ingest/hl7/index.ts';
export * as dicomData from './dicom/data/index.ts';
export * as dicomPreview from './dicom/preview/index.ts';
export * as dicomMapping from './ingest/dicom/index.ts';
export * as ingestWorker from './ingest/worker/index.ts';
export * as dicomScp from './dicom/scp/index.ts';
export * as previews from './previews/index.ts';
export * as mllp from './mllp/index.ts';
export * as sqlPoller from './sql/index.ts';
export * as webhook from './webhook/index.ts';
export * as templateMapping from './mapping/index.ts';
