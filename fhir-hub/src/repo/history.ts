import type { Bundle, BundleEntry, BundleLink, Resource } from '@medplum/fhirtypes';

export interface HistoryRow {
  resource_type: string;
  id: string;
  version_id: string;
  last_updated: Date;
  deleted: boolean;
  content: string;
  total: string;
}

export interface HistoryBundleOptions {
  baseUrl: string;
  /** Path under fhir/R4/, e.g. `Patient/123/_history` or `_history`. */
  selfPath: string;
  limit: number;
  offset: number;
  extraQuery?: string;
}

/** A FHIR `history` Bundle, newest version first; deletions carry request DELETE and no resource. */
export function buildHistoryBundle(rows: HistoryRow[], options: HistoryBundleOptions): Bundle {
  const fhirBase = `${options.baseUrl}fhir/R4/`;
  const total = rows.length > 0 ? Number(rows[0].total) : options.offset;
  const entry: BundleEntry[] = rows.map((row) => {
    const url = `${row.resource_type}/${row.id}`;
    const lastModified = new Date(row.last_updated).toISOString();
    if (row.deleted) {
      return {
        fullUrl: fhirBase + url,
        request: { method: 'DELETE', url },
        response: { status: '410 Gone', etag: `W/"${row.version_id}"`, lastModified },
      };
    }
    return {
      fullUrl: fhirBase + url,
      resource: JSON.parse(row.content) as Resource,
      request: { method: 'PUT', url },
      response: { status: '200 OK', etag: `W/"${row.version_id}"`, lastModified },
    };
  });
  const page = (offset: number): string => {
    const params = [options.extraQuery, `_count=${options.limit}`, offset > 0 ? `_offset=${offset}` : undefined];
    return `${fhirBase}${options.selfPath}?${params.filter(Boolean).join('&')}`;
  };
  const link: BundleLink[] = [{ relation: 'self', url: page(options.offset) }];
  if (options.offset + rows.length < total) link.push({ relation: 'next', url: page(options.offset + options.limit) });
  if (options.offset > 0) link.push({ relation: 'previous', url: page(Math.max(0, options.offset - options.limit)) });
  return { resourceType: 'Bundle', type: 'history', total, link, entry };
}
