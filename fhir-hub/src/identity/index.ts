/** Patient identity: matching, `$match`, review Tasks, merge and unmerge. See the "Patient identity" section of fhir-hub/README.md. */
export { IdentityService } from './identity-service.ts';
export type { RebuildProgress, RebuildResult } from './rebuild.ts';
export { MATCH_GRADE_URL } from './identity-operations.ts';
export { IDENTITY_REVIEW_CODE, TASK_CODE_SYSTEM } from './review-task.ts';
// For bench/identity: the engine's parts, used on a database without going through HTTP.
export { IdentityMatcher } from './identity-matcher.ts';
export { indexBatch as indexIdentityBatch } from './rebuild.ts';
export { patientFeatures } from './patient-features.ts';
export { generatePopulation } from './synthetic-population.ts';
