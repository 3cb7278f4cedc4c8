/** HL7 v2 over MLLP: the listener (`simpul mllp`) and the sender (for the RIS bot). See adapters/README.md "MLLP listener". */
export type { AcceptDeps, AcceptOutcome, AcceptResult, IngestPublisher, PeerInfo } from './accept-message.ts';
export { acceptMessage, HL7_CONTENT_TYPE } from './accept-message.ts';
export { BackgroundIngestBus } from '../edge/background-ingest-bus.ts';
export type { ErrorLocation, Hl7ErrorCode, MessageProblem } from './message-problem.ts';
export { HL7_ERROR_CODES } from './message-problem.ts';
export { encodeMllpFrame, MllpFrameDecoder, MllpFramingError } from './mllp-frame.ts';
export type { MllpFramingErrorCode } from './mllp-frame.ts';
export type { MllpListenerDeps, MllpListeners } from './mllp-listener.ts';
export { startMllpListeners } from './mllp-listener.ts';
export type { MllpSenderOptions, MllpSendOptions, MllpSendResult } from './mllp-sender.ts';
export { MllpDeliveryError, MllpRejectedError, MllpSender } from './mllp-sender.ts';
export type { RunningMllp } from './run-mllp.ts';
export { runMllp } from './run-mllp.ts';
export type { MllpCharset, MllpSourceConfig } from './source-settings.ts';
