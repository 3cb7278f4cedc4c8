/** A FHIR resource as JSON: the sandbox keeps what it is sent and checks only what the platform checks. */
export type FhirJson = Record<string, unknown> & { resourceType: string; id?: string };

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `resource.identifier` as a list of `{system?, value?}` objects, ignoring anything malformed. */
export function identifiersOf(resource: Record<string, unknown>): { system?: string; value?: string }[] {
  const list = resource.identifier;
  if (!Array.isArray(list)) return [];
  return list.filter(isPlainObject).map((identifier) => ({
    system: typeof identifier.system === 'string' ? identifier.system : undefined,
    value: typeof identifier.value === 'string' ? identifier.value : undefined,
  }));
}

/** The id in a literal reference `Type/id` (nothing for other types, absolute URLs or malformed text). */
export function referencedId(reference: unknown, type: string): string | undefined {
  if (!isPlainObject(reference) || typeof reference.reference !== 'string') return undefined;
  const match = new RegExp(`^${type}/([A-Za-z0-9.-]{1,64})$`).exec(reference.reference);
  return match?.[1];
}
