const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** FHIR R4 `id`: 1 to 64 letters, digits, '-' and '.'. */
export function isValidFhirId(id: string): boolean {
  return typeof id === 'string' && FHIR_ID.test(id);
}
