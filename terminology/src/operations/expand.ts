import { randomUUID } from 'node:crypto';
import type { ValueSet, ValueSetExpansionContains, ValueSetExpansionParameter } from '@medplum/fhirtypes';
import { TerminologyError, terminologyError } from '../errors.ts';
import type { TerminologyStore } from '../store/terminology-store.ts';
import { assertTerminologyResource } from '../validate/validate-resource.ts';
import { optionalCount, optionalText } from './operation-inputs.ts';
import type { ExpansionEntry } from './value-set-expansion.ts';
import { fullExpansion } from './value-set-expansion.ts';

export interface ExpandParams {
  /** Canonical URL of a stored ValueSet (`url|version` works). Either this or `valueSet`. */
  url?: string;
  valueSetVersion?: string;
  /** A ValueSet given inline (FHIR `valueSet` input); checked like a stored one, not cached. */
  valueSet?: ValueSet;
  /** Text filter: every word must appear in the code, display or a designation (case-insensitive). */
  filter?: string;
  /** Paging: index of the first code returned (default 0). */
  offset?: number;
  /** Paging: how many codes at most (default all remaining). */
  count?: number;
  /** Leave out inactive codes. */
  activeOnly?: boolean;
  /** Include designations in `contains`. */
  includeDesignations?: boolean;
}

/**
 * ValueSet/$expand: the ValueSet with an `expansion` holding `total` (after the filter), the
 * requested page of `contains`, and the parameters used. The full expansion is computed once per
 * store version and paged from memory. Unknown ValueSet → SIMPUL-TERM-002 (404).
 */
export function expand(store: TerminologyStore, params: ExpandParams): ValueSet {
  const valueSet = resolveValueSet(store, params);
  const filter = optionalText(params.filter, 'filter');
  const offset = optionalCount(params.offset, 'offset') ?? 0;
  const count = optionalCount(params.count, 'count');
  let entries = fullExpansion(store, valueSet).entries;
  if (params.activeOnly) entries = entries.filter((entry) => !entry.inactive);
  if (filter) entries = entries.filter(textFilter(filter));
  const page = entries.slice(offset, count === undefined ? undefined : offset + count);
  const parameter: ValueSetExpansionParameter[] = [
    ...(filter ? [{ name: 'filter', valueString: filter }] : []),
    { name: 'offset', valueInteger: offset },
    ...(count !== undefined ? [{ name: 'count', valueInteger: count }] : []),
    ...(params.activeOnly ? [{ name: 'activeOnly', valueBoolean: true }] : []),
  ];
  return {
    resourceType: 'ValueSet',
    ...(valueSet.id ? { id: valueSet.id } : undefined),
    ...(valueSet.url ? { url: valueSet.url } : undefined),
    ...(valueSet.version ? { version: valueSet.version } : undefined),
    ...(valueSet.name ? { name: valueSet.name } : undefined),
    ...(valueSet.title ? { title: valueSet.title } : undefined),
    status: valueSet.status,
    expansion: {
      identifier: `urn:uuid:${randomUUID()}`,
      timestamp: new Date().toISOString(),
      total: entries.length,
      offset,
      parameter,
      contains: page.map((entry) => toContains(entry, params.includeDesignations === true)),
    },
  };
}

export function resolveValueSet(store: TerminologyStore, params: { url?: string; valueSetVersion?: string; valueSet?: ValueSet }): ValueSet {
  if (params.valueSet !== undefined) {
    if (params.url !== undefined) {
      throw terminologyError(TerminologyError.INVALID_PARAMETER, 'give either url or valueSet, not both', 'valueSet');
    }
    const checked = assertTerminologyResource(params.valueSet);
    if (checked.resourceType !== 'ValueSet') {
      throw terminologyError(TerminologyError.INVALID_PARAMETER, `valueSet must be a ValueSet, found ${checked.resourceType}`, 'valueSet');
    }
    return checked;
  }
  const url = optionalText(params.url, 'url');
  if (!url) throw terminologyError(TerminologyError.INVALID_PARAMETER, 'parameter url (or an inline valueSet) is required', 'url');
  const version = optionalText(params.valueSetVersion, 'valueSetVersion');
  const valueSet = store.getValueSet(url, version);
  if (!valueSet) {
    throw terminologyError(TerminologyError.UNKNOWN_VALUE_SET, `Unknown ValueSet ${url}${version ? ` version ${version}` : ''}`, 'url');
  }
  return valueSet;
}

function textFilter(filter: string): (entry: ExpansionEntry) => boolean {
  const words = filter.toLowerCase().split(/\s+/).filter((word) => word !== '');
  return (entry) => {
    const text = [entry.code, entry.display ?? '', ...(entry.designation ?? []).map((d) => d.value)].join(' ').toLowerCase();
    return words.every((word) => text.includes(word));
  };
}

function toContains(entry: ExpansionEntry, withDesignations: boolean): ValueSetExpansionContains {
  return {
    system: entry.system,
    ...(entry.version ? { version: entry.version } : undefined),
    code: entry.code,
    ...(entry.display !== undefined ? { display: entry.display } : undefined),
    ...(entry.abstract ? { abstract: true } : undefined),
    ...(entry.inactive ? { inactive: true } : undefined),
    ...(withDesignations && entry.designation ? { designation: entry.designation.map((d) => ({ ...d })) } : undefined),
  };
}
