import type { Queryable } from '../db/connect.ts';
import type { SearchQuery } from '../search/index.ts';
import { mergeSets } from './identity-store.ts';

const PATIENT_REFERENCE = /^(.*\/)?Patient\/([A-Za-z0-9\-.]{1,64})$/;
const BARE_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/**
 * References follow merges in searches: a reference parameter naming a Patient that is part of an
 * active merge (either side) is widened to the whole merge set, so `Observation?patient=<merged>`
 * and `Observation?patient=<survivor>` find the same data. Data stays where it was written; unmerge
 * ends the widening. `Patient?link=` is left alone (it asks about the links themselves), as are chains
 * and modifiers other than `:Patient`.
 */
export async function expandMergedReferences(db: Queryable, query: SearchQuery): Promise<SearchQuery> {
  const found: { filter: number; value: number; id: string; bare: boolean }[] = [];
  const parsed = query.filters.map((filter) => filter.value.split(','));
  query.filters.forEach((filter, index) => {
    const [base, modifier] = filter.key.split(':');
    if (base.includes('.') || base.startsWith('_') || base === 'link' || (modifier !== undefined && modifier !== 'Patient')) return;
    parsed[index].forEach((value, position) => {
      const reference = PATIENT_REFERENCE.exec(value);
      if (reference) found.push({ filter: index, value: position, id: reference[2], bare: false });
      else if ((base === 'patient' || modifier === 'Patient') && BARE_ID.test(value)) found.push({ filter: index, value: position, id: value, bare: true });
    });
  });
  if (found.length === 0) return query;
  const sets = await mergeSets(db, [...new Set(found.map((f) => f.id))]);
  if ([...sets.values()].every((members) => members.length === 1)) return query;
  for (const hit of found) {
    const members = sets.get(hit.id) ?? [hit.id];
    parsed[hit.filter][hit.value] = members.map((m) => (hit.bare ? m : `Patient/${m}`)).join(',');
  }
  return { ...query, filters: query.filters.map((filter, index) => ({ ...filter, value: parsed[index].join(',') })) };
}
