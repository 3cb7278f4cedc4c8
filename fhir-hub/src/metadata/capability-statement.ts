import { getResourceTypes, getSearchParameters } from '@medplum/core';
import type { CapabilityStatement, CapabilityStatementRestResource, CapabilityStatementRestSecurity } from '@medplum/fhirtypes';

export interface CapabilityOptions {
  baseUrl: string;
  version: string;
  /** True when every FHIR request needs a SMART access token (the statement then names the OAuth endpoints). */
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
        ...(options.secured ? { security: smartSecurity(options.baseUrl) } : undefined),
        resource,
        interaction: [{ code: 'transaction' }, { code: 'batch' }, { code: 'search-system' }, { code: 'history-system' }],
        operation: [{ name: 'graphql', definition: 'https://hl7.org/fhir/R4/graphql.html' }],
      },
    ],
  };
}

/** SMART on FHIR: the service code and the oauth-uris extension SMART clients look for. */
function smartSecurity(baseUrl: string): CapabilityStatementRestSecurity {
  return {
    cors: false,
    service: [
      {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR', display: 'SMART-on-FHIR' }],
        text: 'OAuth2 using SMART-on-FHIR profile (see http://docs.smarthealthit.org)',
      },
    ],
    description: `SMART App Launch 2.0 and Backend Services. Discovery: ${baseUrl}.well-known/smart-configuration`,
    extension: [
      {
        url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
        extension: [
          { url: 'authorize', valueUri: `${baseUrl}oauth2/authorize` },
          { url: 'token', valueUri: `${baseUrl}oauth2/token` },
          { url: 'introspect', valueUri: `${baseUrl}oauth2/introspect` },
          { url: 'revoke', valueUri: `${baseUrl}oauth2/revoke` },
        ],
      },
    ],
  };
}
