/**
 * Paging links of a searchset Bundle, written from the SearchQuery so they carry every parameter
 * of the request (filters with their modifiers and chains, sort, includes, ...) in a stable order.
 */
import type { BundleLink } from '@medplum/fhirtypes';
import type { IncludeSpec, SearchQuery } from './search-query.ts';

export interface LinkPosition {
  count: number;
  offset?: number;
  cursor?: string;
}

export function searchUrl(base: string, query: SearchQuery, position: LinkPosition): string {
  const params: string[] = [];
  for (const { key, value } of query.filters) {
    params.push(`${key}=${encodeURIComponent(value)}`);
  }
  if (query.sort.length > 0) {
    params.push(`_sort=${query.sort.map((s) => (s.descending ? '-' : '') + s.code).join(',')}`);
  }
  params.push(`_count=${position.count}`);
  if (position.offset) params.push(`_offset=${position.offset}`);
  if (position.cursor) params.push(`_cursor=${encodeURIComponent(position.cursor)}`);
  if (query.total) params.push(`_total=${query.total}`);
  if (query.summary && query.summary !== 'count') params.push(`_summary=${query.summary}`);
  if (query.elements?.length) params.push(`_elements=${query.elements.join(',')}`);
  if (query.systemLevel) params.push(`_type=${query.resourceTypes.join(',')}`);
  for (const spec of query.include) params.push(includeParam('_include', spec));
  for (const spec of query.revinclude) params.push(includeParam('_revinclude', spec));
  params.sort();
  return `${base}?${params.join('&')}`;
}

function includeParam(kind: string, spec: IncludeSpec): string {
  const value = spec.sourceType === '*' ? '*' : `${spec.sourceType}:${spec.code}${spec.targetType ? `:${spec.targetType}` : ''}`;
  return `${kind}${spec.iterate ? ':iterate' : ''}=${value}`;
}

export interface PageLinks {
  base: string;
  query: SearchQuery;
  count: number;
  /** Offset paging (the request gave _offset): next/previous by offset. */
  offset: number;
  byOffset: boolean;
  hasMore: boolean;
  nextCursor?: string;
}

export function pageLinks(p: PageLinks): BundleLink[] {
  const links: BundleLink[] = [
    { relation: 'self', url: searchUrl(p.base, p.query, { count: p.count, offset: p.offset, cursor: p.query.cursor }) },
    { relation: 'first', url: searchUrl(p.base, p.query, { count: p.count }) },
  ];
  if (p.hasMore && p.count > 0) {
    const next = p.byOffset ? { count: p.count, offset: p.offset + p.count } : { count: p.count, cursor: p.nextCursor };
    links.push({ relation: 'next', url: searchUrl(p.base, p.query, next) });
  }
  if (p.byOffset && p.offset > 0 && p.count > 0) {
    links.push({ relation: 'previous', url: searchUrl(p.base, p.query, { count: p.count, offset: Math.max(0, p.offset - p.count) }) });
  }
  return links;
}
