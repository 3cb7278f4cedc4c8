/** Declarative row/body → FHIR transaction templates (JSONata expressions), shared by the SQL poller and the webhook receiver. */
export { compileTemplate, EXPRESSION_MARKER, type CompiledTemplate, type MappingTemplateInput } from './compile-template.ts';
export { loadTemplate, loadTemplateSources } from './load-template.ts';
export { mapWithTemplate, SOURCE_SYSTEMS, type TemplateMappingContext, type TemplateMappingResult } from './map-with-template.ts';
export { MappingTemplateError, type MappingTemplateErrorReason } from './mapping-template-error.ts';
export { toDate, toDateTime } from './date-time.ts';
export { parseXmlBody, XmlBodyError } from './parse-xml-body.ts';
