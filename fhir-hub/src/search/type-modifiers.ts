import { isResourceType } from '@medplum/core';
import { initSearchDefinitions } from './definitions.ts';
import { splitOrValues } from './search-value.ts';

export type RawSearchQuery = Record<string, string | string[] | undefined>;

/**
 * Core's parseSearchRequest drops a reference type modifier when it knows the parameter:
 * `subject:Patient=123` arrives as `subject=123`, which for a parameter with several target
 * types matches a Group/123 too. Applied to the raw query before parsing, this rewrites
 * `subject:Patient=123,456` as the equivalent `subject=Patient/123,Patient/456`.
 */
export function applyReferenceTypeModifiers(query: RawSearchQuery): RawSearchQuery {
  initSearchDefinitions(); // isResourceType needs the loaded definitions
  const result: RawSearchQuery = {};
  const add = (key: string, value: string | string[] | undefined): void => {
    const existing = result[key];
    if (existing === undefined) {
      result[key] = value;
    } else {
      result[key] = [...toArray(existing), ...toArray(value)];
    }
  };
  for (const [key, value] of Object.entries(query)) {
    const [code, modifier, ...rest] = key.split(':');
    if (modifier && rest.length === 0 && !code.includes('.') && isResourceType(modifier)) {
      add(code, toArray(value).map((v) => typeAlternatives(modifier, v)));
    } else {
      add(key, value);
    }
  }
  return result;
}

function typeAlternatives(type: string, value: string): string {
  return splitOrValues(value)
    .map((alt) => (alt.includes('/') ? alt : `${type}/${alt}`))
    .join(',');
}

function toArray(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}
