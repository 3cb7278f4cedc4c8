import { allOk } from '@medplum/core';
import type { FhirRepository, FhirRequest, FhirResponse, FhirRouter } from '@medplum/fhir-router';
import type { Bundle, BundleEntry, Parameters, ParametersParameter, Patient } from '@medplum/fhirtypes';
import type { Sql } from '../db/connect.ts';
import { validateFhirResource } from '../validation/index.ts';
import { identityWriteContext } from './identity-context.ts';
import { IdentityError, identityError } from './identity-errors.ts';
import type { IdentityMatcher } from './identity-matcher.ts';
import { mergePatients, unmergePatient } from './merge.ts';
import { patientFeatures } from './patient-features.ts';

export const MATCH_GRADE_URL = 'http://hl7.org/fhir/StructureDefinition/match-grade';
const DEFAULT_COUNT = 10;
const MAX_COUNT = 100;

/**
 * `POST Patient/$match` (FHIR R4 standard operation), `POST Patient/$merge` and `POST Patient/$unmerge`
 * (parameters named as R5's `$merge`: `source-patient`, `target-patient`). Reads and writes go through
 * the request's repository, so the caller's scopes apply.
 */
export function registerIdentityOperations(router: FhirRouter, matcher: IdentityMatcher, sql: Sql, baseUrl: string): void {
  router.add('POST', 'Patient/$match', async (request, repo) => [allOk, await runMatch(request, repo, matcher, baseUrl)]);
  router.add('POST', 'Patient/$merge', async (request, repo): Promise<FhirResponse> => {
    const params = parameterList(request.body, ['source-patient', 'target-patient']);
    const source = patientReference(params, 'source-patient', true) as string;
    const target = patientReference(params, 'target-patient', true) as string;
    const result = await identityWriteContext.run({ origin: 'api' }, () => mergePatients(repo, source, target));
    return [allOk, outputParameters(result, `Patient/${source} merged into Patient/${target}`)];
  });
  router.add('POST', 'Patient/$unmerge', async (request, repo): Promise<FhirResponse> => {
    const params = parameterList(request.body, ['source-patient', 'target-patient']);
    const source = patientReference(params, 'source-patient', true) as string;
    const target = patientReference(params, 'target-patient', false);
    const { source: restored } = await identityWriteContext.run({ origin: 'api' }, () => unmergePatient(repo, sql, source, target));
    return [allOk, outputParameters(restored, `Patient/${source} restored; the merge is undone`)];
  });
}

async function runMatch(request: FhirRequest, repo: FhirRepository, matcher: IdentityMatcher, baseUrl: string): Promise<Bundle> {
  const params = parameterList(request.body, ['resource', 'onlyCertainMatches', 'count']);
  const resourceParam = params.find((p) => p.name === 'resource');
  const patient = resourceParam?.resource as Patient | undefined;
  if (!patient || patient.resourceType !== 'Patient') {
    throw identityError(IdentityError.INVALID_INPUT, 'Patient/$match needs a parameter "resource" holding a Patient', 'Parameters.parameter');
  }
  validateFhirResource(patient);
  const onlyCertain = booleanParameter(params, 'onlyCertainMatches') ?? false;
  const count = integerParameter(params, 'count') ?? DEFAULT_COUNT;
  const scored = await matcher.score(patientFeatures(patient, matcher.config), patient.id ? [patient.id] : []);
  const entry: BundleEntry[] = [];
  for (const { candidate, score } of scored) {
    if (entry.length >= count) break;
    if (score.grade === 'certainly-not' || (onlyCertain && score.grade !== 'certain')) continue;
    // Not visible to this caller (scopes, compartment) or gone since it was indexed: left out.
    const resource = await repo.readResource<Patient>('Patient', candidate.patientId).catch(() => undefined);
    if (!resource) continue;
    entry.push({
      fullUrl: `${baseUrl}fhir/R4/Patient/${resource.id}`,
      resource,
      search: { mode: 'match', score: score.normalized, extension: [{ url: MATCH_GRADE_URL, valueCode: score.grade }] },
    });
  }
  return { resourceType: 'Bundle', type: 'searchset', total: entry.length, entry };
}

function parameterList(body: unknown, known: string[]): ParametersParameter[] {
  const parameters = body as Parameters | undefined;
  if (!parameters || typeof parameters !== 'object' || parameters.resourceType !== 'Parameters') {
    throw identityError(IdentityError.INVALID_INPUT, 'the body must be a Parameters resource', 'Parameters');
  }
  const list = Array.isArray(parameters.parameter) ? parameters.parameter : [];
  for (const [index, p] of list.entries()) {
    if (!p || typeof p.name !== 'string' || !known.includes(p.name)) {
      throw identityError(
        IdentityError.INVALID_INPUT,
        `unknown parameter "${String(p?.name).slice(0, 60)}": expected ${known.join(', ')}`,
        `Parameters.parameter[${index}]`,
      );
    }
    if (list.filter((q) => q.name === p.name).length > 1) {
      throw identityError(IdentityError.INVALID_INPUT, `parameter "${p.name}" is given more than once`, `Parameters.parameter[${index}]`);
    }
  }
  return list;
}

function booleanParameter(params: ParametersParameter[], name: string): boolean | undefined {
  const p = params.find((q) => q.name === name);
  if (!p) return undefined;
  if (typeof p.valueBoolean !== 'boolean') throw identityError(IdentityError.INVALID_INPUT, `${name} must be a valueBoolean`, name);
  return p.valueBoolean;
}

function integerParameter(params: ParametersParameter[], name: string): number | undefined {
  const p = params.find((q) => q.name === name);
  if (!p) return undefined;
  const value = p.valueInteger ?? p.valuePositiveInt;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_COUNT) {
    throw identityError(IdentityError.INVALID_INPUT, `${name} must be a valueInteger from 1 to ${MAX_COUNT}`, name);
  }
  return value;
}

function patientReference(params: ParametersParameter[], name: string, required: boolean): string | undefined {
  const p = params.find((q) => q.name === name);
  if (!p) {
    if (required) throw identityError(IdentityError.INVALID_INPUT, `parameter "${name}" (valueReference Patient/<id>) is required`, name);
    return undefined;
  }
  const match = /^Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(p.valueReference?.reference ?? '');
  if (!match) throw identityError(IdentityError.INVALID_INPUT, `${name} must be a valueReference "Patient/<id>"`, name);
  return match[1];
}

function outputParameters(patient: Patient, message: string): Parameters {
  return {
    resourceType: 'Parameters',
    parameter: [
      { name: 'outcome', resource: { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational', diagnostics: message }] } },
      { name: 'result', resource: patient },
    ],
  };
}
