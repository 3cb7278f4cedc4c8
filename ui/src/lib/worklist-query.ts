import { DELIVERY_STATUS_SYSTEM, type DeliveryState } from './fhir-names.ts';

export type WorklistSort = 'started' | '-started' | 'modality' | '-modality';

export interface WorklistFilters {
  /** yyyy-mm-dd, inclusive. */
  from?: string;
  to?: string;
  modality?: string;
  /** Name words, or an identifier (digits, or system|value). */
  patient?: string;
  accession?: string;
  delivery?: DeliveryState;
  sort: WorklistSort;
  page: number;
  pageSize: number;
}

export const DEFAULT_FILTERS: WorklistFilters = { sort: '-started', page: 1, pageSize: 20 };

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Looks like an identifier rather than a name: has a digit or a `system|value` bar. */
export function isIdentifierQuery(text: string): boolean {
  return /\d/.test(text) || text.includes('|');
}

/** The FHIR search for the worklist page: ImagingStudy with its Patient included. */
export function worklistSearch(filters: WorklistFilters): URLSearchParams {
  const params = new URLSearchParams();
  if (filters.from && DATE.test(filters.from)) params.append('started', `ge${filters.from}`);
  if (filters.to && DATE.test(filters.to)) params.append('started', `le${filters.to}`);
  const modality = filters.modality?.trim();
  if (modality) params.set('modality', modality.toUpperCase());
  const patient = filters.patient?.trim();
  if (patient) params.set(isIdentifierQuery(patient) ? 'patient.identifier' : 'patient.name', patient);
  const accession = filters.accession?.trim();
  if (accession) params.set('identifier', accession);
  if (filters.delivery) params.set('_has:Task:focus:business-status', `${DELIVERY_STATUS_SYSTEM}|${filters.delivery}`);
  params.set('_sort', filters.sort);
  params.set('_count', String(filters.pageSize));
  params.set('_offset', String((filters.page - 1) * filters.pageSize));
  params.set('_total', 'accurate');
  params.set('_include', 'ImagingStudy:subject');
  return params;
}

/** The filters as the page URL's query (shareable, survives reload). */
export function filtersToQuery(filters: WorklistFilters): string {
  const params = new URLSearchParams();
  for (const key of ['from', 'to', 'modality', 'patient', 'accession', 'delivery'] as const) {
    const value = filters[key];
    if (value) params.set(key, value);
  }
  if (filters.sort !== DEFAULT_FILTERS.sort) params.set('sort', filters.sort);
  if (filters.page !== 1) params.set('page', String(filters.page));
  return params.toString();
}

export function filtersFromQuery(query: string): WorklistFilters {
  const params = new URLSearchParams(query);
  const text = (key: string, max = 200): string | undefined => params.get(key)?.slice(0, max) || undefined;
  const sort = params.get('sort');
  const page = Number(params.get('page'));
  const delivery = params.get('delivery');
  return {
    ...DEFAULT_FILTERS,
    from: text('from', 10),
    to: text('to', 10),
    modality: text('modality', 16),
    patient: text('patient'),
    accession: text('accession', 64),
    delivery: delivery && ['waiting-stable', 'sending', 'retrying', 'delivered', 'failed'].includes(delivery) ? (delivery as DeliveryState) : undefined,
    sort: sort === 'started' || sort === 'modality' || sort === '-modality' ? sort : '-started',
    page: Number.isInteger(page) && page >= 1 && page <= 10_000 ? page : 1,
  };
}
