/** The DICOM C-STORE receiver (`simpul dicom`). See adapters/README.md "DICOM receiver". */
export { startDicomScp } from './dicom-scp.ts';
export type { DicomScp, DicomScpConfig, DicomScpOptions } from './dicom-scp.ts';
export { runDicom } from './run-dicom.ts';
export type { RunningDicom } from './run-dicom.ts';
export { BackgroundIngestBus } from '../../edge/background-ingest-bus.ts';
export type { InstancePublisher } from './store-instance.ts';
export { STORE_STATUS, formatStatus } from './store-status.ts';
export type { StoreOutcome } from './store-status.ts';
export {
  DICOM_MESSAGE_CONTENT_TYPE,
  instanceBlobPath,
  instanceMessageId,
  isDicomUid,
  parseDicomInstanceMessage,
} from './instance-message.ts';
export type { DicomInstanceMessage } from './instance-message.ts';
export { isAcceptedTransferSyntax, isStorageSopClass } from './presentation-contexts.ts';
