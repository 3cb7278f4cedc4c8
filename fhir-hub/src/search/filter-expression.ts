/**
 * `_filter` (FHIR search filter syntax): `name co "ann" and (birthdate ge 2000 or gender eq male)`.
 * Parsed by core's parseFilterParameter; each comparison becomes the ordinary search condition it
 * stands for, combined with AND / OR / NOT. Paths are search parameter codes of the searched type
 * (no chains: a chain would read another type's data outside the auth layer's chain check).
 */
import {
  badRequest,
  FhirFilterComparison,
  FhirFilterConnective,
  FhirFilterNegation,
  Operator,
  OperationOutcomeError,
  parseFilterParameter,
} from '@medplum/core';
import type { FhirFilterExpression } from '@medplum/core';
import { resolveSearchParameter } from './definitions.ts';
import { conditionSql } from './filter.ts';
import type { FilterScope, RowRef } from './filter.ts';
import { resolveCondition } from './resolve-condition.ts';

const ORDERED = new Set(['number', 'date', 'quantity']);
const PREFIX_OPERATORS = new Set<string>([
  Operator.GREATER_THAN,
  Operator.LESS_THAN,
  Operator.GREATER_THAN_OR_EQUALS,
  Operator.LESS_THAN_OR_EQUALS,
  Operator.STARTS_AFTER,
  Operator.ENDS_BEFORE,
  Operator.APPROXIMATELY,
]);

/** SQL for a `_filter` value on resources of `resourceType` at `at`. */
export function filterExpressionSql(scope: FilterScope, resourceType: string, expression: string, at: RowRef): string {
  let parsed: FhirFilterExpression;
  try {
    parsed = parseFilterParameter(expression);
  } catch (err) {
    if (err instanceof OperationOutcomeError) throw err;
    throw invalid(`Invalid _filter expression: ${(err as Error).message}`);
  }
  return toSql(scope, resourceType, parsed, at);
}

function toSql(scope: FilterScope, resourceType: string, expression: FhirFilterExpression, at: RowRef): string {
  if (expression instanceof FhirFilterConnective) {
    const left = toSql(scope, resourceType, expression.left, at);
    const right = toSql(scope, resourceType, expression.right, at);
    return `(${left} ${expression.keyword === 'and' ? 'AND' : 'OR'} ${right})`;
  }
  if (expression instanceof FhirFilterNegation) {
    return `NOT (${toSql(scope, resourceType, expression.child, at)})`;
  }
  if (expression instanceof FhirFilterComparison) {
    return comparisonSql(scope, resourceType, expression, at);
  }
  throw invalid('Invalid _filter expression');
}

function comparisonSql(scope: FilterScope, resourceType: string, comparison: FhirFilterComparison, at: RowRef): string {
  const { path, operator } = comparison;
  if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(path)) {
    throw invalid(`_filter path ${path} is not supported: use a search parameter of ${resourceType} (no chains)`);
  }
  const type = resolveSearchParameter(resourceType, path).definition.type as string;
  // Values are literal text: a comma or $ in them is not an OR or a composite separator.
  const value = comparison.value.replace(/[\\,$]/g, (ch) => '\\' + ch);
  let key = path;
  let searchValue = value;
  let negate = false;
  if (PREFIX_OPERATORS.has(operator)) {
    if (!ORDERED.has(type)) throw unsupported(operator, path, type);
    searchValue = operator + value;
  } else if (operator === Operator.EXACT || operator === Operator.NOT_EQUALS) {
    negate = operator === Operator.NOT_EQUALS;
    if (type === 'string') key = `${path}:exact`;
    else if (ORDERED.has(type)) searchValue = `eq${value}`;
  } else if (operator === Operator.CONTAINS) {
    if (type !== 'string') throw unsupported(operator, path, type);
    key = `${path}:contains`;
  } else if (operator === Operator.STARTS_WITH) {
    if (type !== 'string') throw unsupported(operator, path, type);
  } else if (operator === Operator.PRESENT) {
    if (value !== 'true' && value !== 'false') throw invalid(`_filter: ${path} pr takes true or false`);
    key = `${path}:missing`;
    searchValue = value === 'true' ? 'false' : 'true';
  } else if (operator !== Operator.EQUALS) {
    throw unsupported(operator, path, type);
  }
  const sql = conditionSql(scope, resolveCondition(resourceType, key, searchValue), at) ?? 'TRUE';
  return negate ? `NOT (${sql})` : sql;
}

function unsupported(operator: string, path: string, type: string): OperationOutcomeError {
  return invalid(`_filter operator ${operator} is not supported on the ${type} parameter ${path}`);
}

function invalid(message: string): OperationOutcomeError {
  return new OperationOutcomeError(badRequest(message, '_filter'));
}
