export { initValidation } from './definitions.ts';
export { isValidFhirId } from './fhir-id.ts';
export type { ProfileResolver } from './profile-validation.ts';
export type { ValidateFhirResourceOptions } from './validate-resource.ts';
export { MAX_REPORTED_ISSUES, validateFhirResource } from './validate-resource.ts';
