/**
 * Turns one search parameter key of a request (`name:exact`, `subject:Patient.identifier`,
 * `_has:Observation:patient:code`, ...) into a tree the SQL builder walks: a plain parameter with
 * its modifier, a chain through a reference parameter to the parameters of its target types, or a
 * reverse chain (_has) from the resources that point here.
 */
import { badRequest, getSearchParameters, isResourceType, OperationOutcomeError } from '@medplum/core';
import { resolveSearchParameter, UnknownParameterError } from './definitions.ts';
import type { ResolvedParam } from './definitions.ts';

export type SearchCondition = ParamCondition | ChainCondition | HasCondition;

export interface ParamCondition {
  kind: 'param';
  resourceType: string;
  code: string;
  /** The modifier after ':' (exact, not, missing, a resource type, ...) or 'eq'. */
  operator: string;
  value: string;
  param: ResolvedParam;
}

/** `subject:Patient.name=x`: resources whose `subject` points at a target matching `next`. */
export interface ChainCondition {
  kind: 'chain';
  resourceType: string;
  code: string;
  targets: { type: string; next: SearchCondition }[];
}

/** `_has:Observation:patient:code=x`: resources some Observation.patient points at, that match. */
export interface HasCondition {
  kind: 'has';
  resourceType: string;
  sourceType: string;
  /** The reference parameter of sourceType that points here. */
  code: string;
  next: SearchCondition;
}

/** Chains and _has together may go this many links deep. */
export const MAX_CHAIN_DEPTH = 4;

/** Resolves `key` (as it appears in the query) against `resourceType`. */
export function resolveCondition(resourceType: string, key: string, value: string, depth = 0): SearchCondition {
  if (depth > MAX_CHAIN_DEPTH) {
    throw new OperationOutcomeError(badRequest(`Chains and _has may be at most ${MAX_CHAIN_DEPTH} links deep: ${key}`, key));
  }
  if (key.startsWith('_has:')) {
    return resolveHas(resourceType, key, value, depth);
  }
  const dot = key.indexOf('.');
  if (dot >= 0) {
    return resolveChain(resourceType, key.slice(0, dot), key.slice(dot + 1), value, depth);
  }
  const colon = key.indexOf(':');
  const code = colon >= 0 ? key.slice(0, colon) : key;
  const modifier = colon >= 0 ? key.slice(colon + 1) : undefined;
  if (modifier === '') {
    throw new OperationOutcomeError(badRequest(`Empty modifier in ${key}`, key));
  }
  const param = resolveSearchParameter(resourceType, code);
  return { kind: 'param', resourceType, code, operator: modifier ?? 'eq', value, param };
}

function resolveChain(resourceType: string, head: string, tail: string, value: string, depth: number): ChainCondition {
  const [code, typeModifier, ...extra] = head.split(':');
  const { definition } = resolveSearchParameter(resourceType, code);
  if (definition.type !== 'reference') {
    throw new OperationOutcomeError(badRequest(`Cannot chain through ${code}: it is a ${definition.type} parameter, not a reference`, head));
  }
  if (extra.length > 0 || (typeModifier !== undefined && !isResourceType(typeModifier))) {
    throw new OperationOutcomeError(badRequest(`Invalid chain link ${head}: expected ${code} or ${code}:<ResourceType>`, head));
  }
  const allowed = definition.target ?? [];
  if (typeModifier && allowed.length > 0 && !allowed.includes(typeModifier as never)) {
    throw new OperationOutcomeError(badRequest(`${code} of ${resourceType} cannot point at ${typeModifier}`, head));
  }
  const nextCode = firstCode(tail);
  // Without a type modifier, every target type that has the chained parameter is searched.
  const candidates = typeModifier ? [typeModifier] : allowed.filter((t) => nextCode.startsWith('_has') || getSearchParameters(t)?.[nextCode]);
  if (candidates.length === 0) {
    throw new UnknownParameterError(`${head}.${tail}`, `Unknown search parameter ${nextCode} on the targets of ${resourceType}.${code}`);
  }
  return {
    kind: 'chain',
    resourceType,
    code,
    targets: candidates.map((type) => ({ type, next: resolveCondition(type, tail, value, depth + 1) })),
  };
}

function resolveHas(resourceType: string, key: string, value: string, depth: number): HasCondition {
  // _has:<SourceType>:<reference param>:<rest>
  const [, sourceType, code, ...rest] = key.split(':');
  const restKey = rest.join(':');
  if (!sourceType || !code || !restKey) {
    throw new OperationOutcomeError(badRequest(`Invalid _has parameter ${key}: expected _has:Type:reference:parameter`, key));
  }
  if (!isResourceType(sourceType)) {
    throw new OperationOutcomeError(badRequest(`Unknown resource type ${sourceType} in ${key}`, key));
  }
  const { definition } = resolveSearchParameter(sourceType, code);
  if (definition.type !== 'reference') {
    throw new OperationOutcomeError(badRequest(`${sourceType}.${code} in ${key} is not a reference parameter`, key));
  }
  const targets = definition.target ?? [];
  if (targets.length > 0 && !targets.includes(resourceType as never)) {
    throw new OperationOutcomeError(badRequest(`${sourceType}.${code} cannot point at ${resourceType} (${key})`, key));
  }
  return { kind: 'has', resourceType, sourceType, code, next: resolveCondition(sourceType, restKey, value, depth + 1) };
}

function firstCode(key: string): string {
  return key.split(/[.:]/)[0];
}
