import { getResourceTypes, getSearchParameters } from '@medplum/core';
import type { CapabilityStatement, CapabilityStatementRestResource } from '@medplum/fhirtypes';

export interface CapabilityOptions {
  baseUrl: string;
  version: string;
  /** True once the auth issue lands; until then the statement says the hub is open on loopback. */
  secured: boolean;
}

const TYPE_INTERACTIONS: CapabilityStatementRestResource['interaction'] = [
  { code: 'read' },
  { code: 'vread' },
  { code: 'update' },
  { code: 'patch' },
  { code: 'delete' },
  { code: 'history-instance' },
  { code: 'history-type' },
  { code: 'create' },
  { code: 'search-type' },
];

/** Built from what the hub actually serves: every R4 type with its indexed search parameters. */
export function buildCapabilityStatement(options: CapabilityOptions): CapabilityStatement {
  const resource: CapabilityStatementRestResource[] = getResourceTypes()
    .sort()
    .map((type) => ({
      type,
      interaction: TYPE_INTERACTIONS,
      versioning: 'versioned-update',
      readHistory: true,
      updateCreate: true,
      conditionalCreate: true,
      conditionalRead: 'not-supported',
      conditionalUpdate: true,
      conditionalDelete: 'single',
      searchParam: Object.values(getSearchParameters(type) ?? {})
        .filter((p) => p.code && p.type)
        .map((p) => ({ name: p.code as string, type: p.type, definition: p.url })),
    }));
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date().toISOString(),
    kind: 'instance',
    software: { name: 'Simpul', version: options.version },
    implementation: { description: 'Simpul FHIR hub', url: `${options.baseUrl}fhir/R4` },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    patchFormat: ['application/json-patch+json', 'application/fhir+json'],
    rest: [
      {
        mode: 'server',
        documentation: options.secured ? undefined : 'No authorization: the hub listens on loopback only until auth is configured.',
        resource,
        interaction: [{ code: 'transaction' }, { code: 'batch' }, { code: 'search-system' }, { code: 'history-system' }],
        operation: [{ name: 'graphql', definition: 'https://hl7.org/fhir/R4/graphql.html' }],
      },
    ],
  };
}
