import { evalFhirPathTyped, toTypedValue } from '@medplum/core';
import type { TypedValue } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import { getIndexedParams, initSearchDefinitions } from './definitions.ts';
import type { IndexedParam, IndexedParamType } from './definitions.ts';
import {
  dateValues,
  identifierTypeValues,
  numberValues,
  positionValues,
  quantityValues,
  referenceValues,
  stringValues,
  tokenValues,
  uriValues,
} from './index-values.ts';
import type {
  DateValue,
  NumberValue,
  PositionValue,
  QuantityValue,
  ReferenceValue,
  StringValue,
  TokenValue,
} from './index-values.ts';

/** Which search parameter a row belongs to; grp numbers the element of a composite's components. */
interface RowKey {
  code: string;
  grp?: number;
}

/** Every index row of one resource, grouped by table; each row carries its search parameter code. */
export interface SearchIndexRows {
  token: (TokenValue & RowKey)[];
  string: (StringValue & RowKey)[];
  date: (DateValue & RowKey)[];
  number: (NumberValue & RowKey)[];
  quantity: (QuantityValue & RowKey)[];
  reference: (ReferenceValue & RowKey)[];
  uri: ({ value: string } & RowKey)[];
  position: (PositionValue & RowKey)[];
}

/** Composite component rows are stored under this code; see the 006 migration. */
export function componentCode(compositeCode: string, index: number): string {
  return `${compositeCode}#${index}`;
}

// grp is a smallint; a resource with more elements than this has them indexed up to here.
const MAX_COMPOSITE_ELEMENTS = 32_000;

export function emptyIndexRows(): SearchIndexRows {
  return { token: [], string: [], date: [], number: [], quantity: [], reference: [], uri: [], position: [] };
}

/**
 * Evaluates every indexed search parameter of the resource's type and returns the rows to store.
 * Pure: no database access, so it can be unit-tested and reused by the bulk re-indexer and loader.
 */
export function extractSearchIndexRows(resource: Resource): SearchIndexRows {
  initSearchDefinitions();
  const rows = emptyIndexRows();
  const input = [toTypedValue(resource)];
  for (const param of getIndexedParams(resource.resourceType)) {
    const values = evaluate(resource, param, input);
    if (values.length === 0) {
      continue;
    }
    if (param.type === 'composite') {
      addCompositeRows(rows, resource, param, values);
    } else if (param.type === 'position') {
      for (const v of positionValues(values)) rows.position.push({ code: param.code, ...v });
    } else {
      addRows(rows, param.type, { code: param.code }, values);
    }
  }
  return rows;
}

function evaluate(resource: Resource, param: IndexedParam, input: TypedValue[]): TypedValue[] {
  try {
    return evalFhirPathTyped(param.expression, input);
  } catch (err) {
    throw new Error(`Cannot index ${resource.resourceType}.${param.code}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * One group of component rows per element the composite's expression yields (the Observation
 * itself, each Observation.component, ...), and only when every component has a value there.
 */
function addCompositeRows(rows: SearchIndexRows, resource: Resource, param: IndexedParam, elements: TypedValue[]): void {
  const components = param.components ?? [];
  let grp = 0;
  for (const element of elements) {
    if (grp >= MAX_COMPOSITE_ELEMENTS) break;
    const perComponent: TypedValue[][] = [];
    for (const component of components) {
      try {
        perComponent.push(evalFhirPathTyped(component.expression, [element]));
      } catch (err) {
        throw new Error(`Cannot index ${resource.resourceType}.${param.code}: ${(err as Error).message}`, { cause: err });
      }
    }
    if (perComponent.some((values) => values.length === 0)) {
      continue;
    }
    perComponent.forEach((values, i) => addRows(rows, components[i].type, { code: componentCode(param.code, i), grp }, values));
    grp++;
  }
}

function addRows(rows: SearchIndexRows, type: IndexedParamType, key: RowKey, values: TypedValue[]): void {
  switch (type) {
    case 'token':
      for (const v of tokenValues(values)) rows.token.push({ ...key, ...v });
      for (const v of identifierTypeValues(values)) rows.token.push({ ...key, code: `${key.code}:of-type`, ...v });
      break;
    case 'string':
      for (const v of stringValues(values)) rows.string.push({ ...key, ...v });
      break;
    case 'date':
      for (const v of dateValues(values)) rows.date.push({ ...key, ...v });
      break;
    case 'number':
      for (const v of numberValues(values)) rows.number.push({ ...key, ...v });
      break;
    case 'quantity':
      for (const v of quantityValues(values)) rows.quantity.push({ ...key, ...v });
      break;
    case 'reference': {
      const { references, identifiers } = referenceValues(values);
      for (const v of references) rows.reference.push({ ...key, ...v });
      // Reference.identifier is searched as `<code>:identifier`, a token.
      for (const v of identifiers) rows.token.push({ ...key, code: `${key.code}:identifier`, ...v });
      break;
    }
    case 'uri':
      for (const value of uriValues(values)) rows.uri.push({ ...key, value });
      break;
  }
}
