/** HL7 v2 → FHIR mapping: a pure library the ingest worker calls once per stored message. */
export type { MappingContext, MappingResult } from './map-message.ts';
export { mapHl7Message, SUPPORTED_MESSAGE_TYPES } from './map-message.ts';
export type { MappingErrorOptions } from './mapping-error.ts';
export { MappingError } from './mapping-error.ts';
export type { MappingWarning, UnmappedCode } from './mapping-session.ts';
export type { ZSegment } from './z-segments.ts';
export type { CodeTranslator, TranslationResult } from './code-translator.ts';
export { chainTranslators, createCodeMapTranslator, createV2TableTranslator } from './code-translator.ts';
export type { CodeMap, Hl7SourceMapping, Hl7SourceMappingInput } from './source-config.ts';
export { codeMapSchema, hl7SourceMappingSchema, IHS_NUMBER_SYSTEM, NIK_SYSTEM } from './source-config.ts';
export { MERGED_IDENTIFIER_SYSTEM } from './map-merge.ts';
export { CONTROL_ID_SYSTEM, MESSAGE_STORE_SYSTEM, SENDER_SYSTEM } from './map-provenance.ts';
export { decodeV2Text } from './escape-sequences.ts';
export { toFhirDate, toFhirDateTime, toFhirInstant } from './v2-datetime.ts';
