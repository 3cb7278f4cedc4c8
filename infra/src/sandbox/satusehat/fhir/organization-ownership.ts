import { identifiersOf, referencedId } from './fhir-json.ts';

/** `http://sys-ids.kemkes.go.id/{kind}/{orgId}`: the per-organisation identifier systems (section 4). */
const ORGANIZATION_SCOPED_SYSTEM = /^https?:\/\/sys-ids\.kemkes\.go\.id\/[^/]+\/([^/]+)\/?$/;

/**
 * Every Organization id a resource claims to belong to: the `{orgId}` of its identifier systems and
 * the Organization in `serviceProvider` (Encounter). A client id serves exactly one Organization,
 * so any other id here is "resource cannot be accessed due to business rule" (section 2).
 */
export function organizationsNamedBy(resource: Record<string, unknown>): Set<string> {
  const ids = new Set<string>();
  for (const identifier of identifiersOf(resource)) {
    const match = ORGANIZATION_SCOPED_SYSTEM.exec(identifier.system ?? '');
    if (match) ids.add(match[1]);
  }
  const provider = referencedId(resource.serviceProvider, 'Organization');
  if (provider !== undefined) ids.add(provider);
  return ids;
}

export function belongsOnlyTo(resource: Record<string, unknown>, organizationId: string): boolean {
  return [...organizationsNamedBy(resource)].every((id) => id === organizationId);
}
