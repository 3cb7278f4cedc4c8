import { OperationOutcomeError } from '@medplum/core';
import type { FhirRequest } from '@medplum/fhir-router';
import type { CodeableConcept, Coding, OperationOutcome, Resource } from '@medplum/fhirtypes';
import { ERROR_CODE_SYSTEM, TerminologyError } from '@simpul/terminology';

/** How an operation input is given: text (string, uri, code), boolean, integer, or a complex value. */
export type ParameterKind = 'text' | 'boolean' | 'integer' | 'Coding' | 'CodeableConcept' | 'resource';

export interface OperationDefinition {
  /** `$lookup`, for messages. */
  name: string;
  parameters: Record<string, ParameterKind>;
  /** Parameters that may be given more than once (values come back as an array). */
  repeating?: readonly string[];
  /** FHIR defines them but this server does not implement them: 400 instead of a silently different answer. */
  unsupported?: readonly string[];
  /** Other spellings accepted for a parameter (`targetSystem` for R4's `targetsystem`). */
  aliases?: Record<string, string>;
}

export type OperationInput = Record<string, unknown>;

const MAX_INTEGER = 1_000_000_000;

/**
 * Reads an operation's inputs from the query string (GET, or POST without a body) and from a
 * `Parameters` body (POST). Unknown, repeated, unsupported and mistyped inputs are 400
 * (SIMPUL-TERM-001) naming the parameter. Query parameters starting with `_` (`_format`) are ignored.
 */
export function readOperationInput(request: FhirRequest, operation: OperationDefinition): OperationInput {
  const input: OperationInput = {};
  const put = (given: string, value: unknown, where: string): void => {
    const name = operation.aliases?.[given] ?? given;
    const repeats = operation.repeating?.includes(name) ?? false;
    if (repeats) {
      input[name] = [...((input[name] as unknown[] | undefined) ?? []), value];
    } else if (name in input) {
      throw invalidParameter(`${operation.name}: parameter ${name} is given more than once`, where);
    } else {
      input[name] = value;
    }
  };
  for (const [given, raw] of Object.entries(request.query ?? {})) {
    if (given.startsWith('_')) continue;
    const kind = kindOf(operation, given, given);
    for (const value of Array.isArray(raw) ? raw : [raw]) put(given, fromQuery(operation, given, kind, String(value)), given);
  }
  if (request.method === 'POST' && request.body !== undefined && request.body !== null && !isEmptyBody(request.body)) {
    for (const [index, parameter] of parametersOf(request.body).entries()) {
      const where = `Parameters.parameter[${index}]`;
      if (!isObject(parameter) || typeof parameter.name !== 'string' || parameter.name === '') {
        throw invalidParameter(`${operation.name}: each parameter needs a name`, where);
      }
      const kind = kindOf(operation, parameter.name, where);
      put(parameter.name, fromParameter(operation, parameter.name, kind, parameter, where), where);
    }
  }
  return input;
}

export function invalidParameter(text: string, expression?: string): OperationOutcomeError {
  const kind = TerminologyError.INVALID_PARAMETER;
  const outcome: OperationOutcome = {
    resourceType: 'OperationOutcome',
    issue: [
      {
        severity: 'error',
        code: kind.issue,
        details: { coding: [{ system: ERROR_CODE_SYSTEM, code: kind.code }], text },
        ...(expression ? { expression: [expression] } : undefined),
      },
    ],
  };
  return new OperationOutcomeError(outcome);
}

function kindOf(operation: OperationDefinition, given: string, where: string): ParameterKind {
  const name = operation.aliases?.[given] ?? given;
  if (operation.unsupported?.includes(name)) {
    throw invalidParameter(`${operation.name}: parameter ${name} is not supported by this server`, where);
  }
  const kind = operation.parameters[name];
  if (!kind) {
    const known = Object.keys(operation.parameters).join(', ');
    throw invalidParameter(`${operation.name}: unknown parameter ${JSON.stringify(given.slice(0, 80))} (supported: ${known})`, where);
  }
  return kind;
}

function fromQuery(operation: OperationDefinition, name: string, kind: ParameterKind, value: string): unknown {
  switch (kind) {
    case 'text':
      return value;
    case 'boolean':
      if (value === 'true' || value === 'false') return value === 'true';
      throw invalidParameter(`${operation.name}: parameter ${name} must be true or false`, name);
    case 'integer':
      if (/^\d{1,10}$/.test(value) && Number(value) <= MAX_INTEGER) return Number(value);
      throw invalidParameter(`${operation.name}: parameter ${name} must be a whole number, 0 or more`, name);
    default:
      throw invalidParameter(`${operation.name}: parameter ${name} (a ${kind}) can only be given in a Parameters body (POST)`, name);
  }
}

function fromParameter(
  operation: OperationDefinition,
  name: string,
  kind: ParameterKind,
  parameter: Record<string, unknown>,
  where: string,
): unknown {
  const wrongType = (expected: string): OperationOutcomeError =>
    invalidParameter(`${operation.name}: parameter ${name} must be given as ${expected}`, where);
  switch (kind) {
    case 'text': {
      const values = Object.entries(parameter).filter(([key, value]) => key.startsWith('value') && typeof value === 'string');
      if (values.length !== 1) throw wrongType('a string value (valueString, valueUri, valueCode, valueCanonical)');
      return values[0][1];
    }
    case 'boolean':
      if (typeof parameter.valueBoolean !== 'boolean') throw wrongType('valueBoolean');
      return parameter.valueBoolean;
    case 'integer': {
      const value = parameter.valueInteger ?? parameter.valueUnsignedInt ?? parameter.valuePositiveInt;
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > MAX_INTEGER) {
        throw wrongType('valueInteger (a whole number, 0 or more)');
      }
      return value;
    }
    case 'Coding':
      if (!isObject(parameter.valueCoding)) throw wrongType('valueCoding');
      return parameter.valueCoding as Coding;
    case 'CodeableConcept':
      if (!isObject(parameter.valueCodeableConcept)) throw wrongType('valueCodeableConcept');
      return parameter.valueCodeableConcept as CodeableConcept;
    case 'resource':
      if (!isObject(parameter.resource) || typeof parameter.resource.resourceType !== 'string') throw wrongType('resource');
      return parameter.resource as unknown as Resource;
  }
}

function parametersOf(body: unknown): unknown[] {
  if (!isObject(body) || body.resourceType !== 'Parameters') {
    throw invalidParameter('the body of an operation must be a Parameters resource', 'Parameters');
  }
  if (body.parameter === undefined) return [];
  if (!Array.isArray(body.parameter)) throw invalidParameter('Parameters.parameter must be a list', 'Parameters.parameter');
  return body.parameter;
}

/** Fastify hands an empty POST body over as an empty object or string. */
function isEmptyBody(body: unknown): boolean {
  return body === '' || (isObject(body) && Object.keys(body).length === 0);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads inputs the operations share, checking their type (they come from untrusted JSON). */
export function textInput(input: OperationInput, name: string): string | undefined {
  return input[name] as string | undefined;
}

export function codingInput(input: OperationInput, name: string): Coding | undefined {
  const coding = input[name] as Coding | undefined;
  if (coding === undefined) return undefined;
  for (const key of ['system', 'code', 'version', 'display'] as const) {
    if (coding[key] !== undefined && typeof coding[key] !== 'string') {
      throw invalidParameter(`parameter ${name}: ${key} must be a string`, `${name}.${key}`);
    }
  }
  return coding;
}

export function codeableConceptInput(input: OperationInput, name: string): CodeableConcept | undefined {
  const concept = input[name] as CodeableConcept | undefined;
  if (concept === undefined) return undefined;
  if (concept.coding !== undefined && !Array.isArray(concept.coding)) {
    throw invalidParameter(`parameter ${name}: coding must be a list`, `${name}.coding`);
  }
  (concept.coding ?? []).forEach((coding, index) => {
    if (!isObject(coding)) throw invalidParameter(`parameter ${name}: coding[${index}] must be a Coding`, `${name}.coding[${index}]`);
    const label = `${name}.coding[${index}]`;
    codingInput({ [label]: coding }, label);
  });
  return concept;
}
