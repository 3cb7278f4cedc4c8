export { createHubClient, HubRequestError, type HubClient, type HubClientOptions } from './hub-client.ts';
export { applyHl7, prepareHl7, type IngestResult } from './ingest-hl7.ts';
export { createIngestHandler, startIngestWorker, type IngestWorker, type IngestWorkerOptions } from './ingest-worker.ts';
export { KeyedSerializer } from './keyed-serializer.ts';
export { HubTerminologyTranslator } from './hub-terminology-translator.ts';
export { resolveDicomIngestSettings, type DicomIngestSettings } from './dicom-ingest-settings.ts';
export { createDicomIngest, type DicomIngest, type DicomIngestResult } from './ingest-dicom.ts';
export { KeyedBatcher } from './keyed-batcher.ts';
export { ensureDicomWebEndpoint, readStudy } from './write-study-batch.ts';
