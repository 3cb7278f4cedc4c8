/**
 * The SATUSEHAT sandbox: the project's one allowed fake of an outside system, for tests and for
 * trying the SATUSEHAT bot by hand (`simpul sandbox satusehat`).
 */
export type { SandboxInspection, SatusehatSandbox, SatusehatSandboxOptions } from './create-sandbox.ts';
export { createSatusehatSandbox } from './create-sandbox.ts';
export type { SandboxBehaviour, SandboxOrganization, SandboxPerson, SatusehatSandboxConfig, SatusehatSandboxConfigInput } from './sandbox-options.ts';
export { satusehatSandboxOptionsSchema } from './sandbox-options.ts';
export type { ActiveFault, FaultKind, FaultSpec } from './faults/fault-controller.ts';
export { FAULT_KINDS, FaultController, FaultSpecError } from './faults/fault-controller.ts';
export type { TokenResponseBody } from './auth/token-issuer.ts';
export type { ReceivedInstance } from './dicom/instance-store.ts';
export type { ReceivedRequest } from './inspection/request-log.ts';
export type { Part10Identity } from './dicom/part10-reader.ts';
export { Part10ReadError, readPart10Identity } from './dicom/part10-reader.ts';
export type { TestPart10Options } from './dicom/test-part10-writer.ts';
export { writeTestPart10 } from './dicom/test-part10-writer.ts';
export type { FhirJson } from './fhir/fhir-json.ts';
export { BUSINESS_RULE_TEXT, INSTANCE_EXISTS_TEXT, INVALID_CREDENTIALS_TEXT } from './outcomes.ts';
