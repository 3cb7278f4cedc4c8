import { evalFhirPathTyped, toTypedValue } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import { getIndexedParams, initSearchDefinitions } from './definitions.ts';
import {
  dateValues,
  numberValues,
  quantityValues,
  referenceValues,
  stringValues,
  tokenValues,
  uriValues,
} from './index-values.ts';
import type {
  DateValue,
  NumberValue,
  QuantityValue,
  ReferenceValue,
  StringValue,
  TokenValue,
} from './index-values.ts';

/** Every index row of one resource, grouped by table; each row carries its search parameter code. */
export interface SearchIndexRows {
  token: (TokenValue & { code: string })[];
  string: (StringValue & { code: string })[];
  date: (DateValue & { code: string })[];
  number: (NumberValue & { code: string })[];
  quantity: (QuantityValue & { code: string })[];
  reference: (ReferenceValue & { code: string })[];
  uri: { code: string; value: string }[];
}

/**
 * Evaluates every indexed search parameter of the resource's type and returns the rows to store.
 * Pure: no database access, so it can be unit-tested and reused by a bulk re-indexer.
 */
export function extractSearchIndexRows(resource: Resource): SearchIndexRows {
  initSearchDefinitions();
  const rows: SearchIndexRows = { token: [], string: [], date: [], number: [], quantity: [], reference: [], uri: [] };
  const input = [toTypedValue(resource)];
  for (const param of getIndexedParams(resource.resourceType)) {
    let values;
    try {
      values = evalFhirPathTyped(param.expression, input);
    } catch (err) {
      throw new Error(`Cannot index ${resource.resourceType}.${param.code}: ${(err as Error).message}`, { cause: err });
    }
    if (values.length === 0) {
      continue;
    }
    const { code } = param;
    switch (param.type) {
      case 'token':
        for (const v of tokenValues(values)) rows.token.push({ code, ...v });
        break;
      case 'string':
        for (const v of stringValues(values)) rows.string.push({ code, ...v });
        break;
      case 'date':
        for (const v of dateValues(values)) rows.date.push({ code, ...v });
        break;
      case 'number':
        for (const v of numberValues(values)) rows.number.push({ code, ...v });
        break;
      case 'quantity':
        for (const v of quantityValues(values)) rows.quantity.push({ code, ...v });
        break;
      case 'reference': {
        const { references, identifiers } = referenceValues(values);
        for (const v of references) rows.reference.push({ code, ...v });
        // Reference.identifier is searched as `<code>:identifier`, a token.
        for (const v of identifiers) rows.token.push({ code: `${code}:identifier`, ...v });
        break;
      }
      case 'uri':
        for (const value of uriValues(values)) rows.uri.push({ code, value });
        break;
    }
  }
  return rows;
}
