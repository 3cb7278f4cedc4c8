import { basename, extname } from 'node:path';
import { isAbsoluteUri } from '../validate/resource-checks.ts';
import type { LoadProblem } from './load-problem.ts';

/** Settings a caller can give a CSV load; they win over the file's `# key: value` preamble. */
export interface CsvLoadOptions {
  /** Canonical URL of the resource; default from the preamble `# url:`, else from the file name. */
  url?: string;
  /** ConceptMaps: the code system of `source_code`; default from the preamble `# source:`. */
  sourceSystem?: string;
  name?: string;
  title?: string;
  version?: string;
  status?: 'draft' | 'active' | 'retired' | 'unknown';
}

/** Metadata every CSV-built resource carries. */
export interface CsvMetadata {
  id: string;
  url: string;
  name?: string;
  title?: string;
  version?: string;
  status: 'draft' | 'active' | 'retired' | 'unknown';
  description?: string;
}

const STATUSES = ['draft', 'active', 'retired', 'unknown'] as const;
/** Where resources loaded from a bare CSV file get their canonical URL. */
export const DEFAULT_CANONICAL_BASE = 'https://simpul.dev/fhir';

/** A FHIR id from a file name: `Radiology map (v2).csv` → `Radiology-map-v2`. */
export function idFromFileName(source: string): string {
  const stem = basename(source, extname(source));
  const id = stem
    .replace(/[^A-Za-z0-9.-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
  return id || 'terminology';
}

export function resolveCsvMetadata(
  resourceType: 'CodeSystem' | 'ConceptMap',
  source: string,
  preamble: ReadonlyMap<string, string>,
  options: CsvLoadOptions,
  problems: LoadProblem[],
): CsvMetadata {
  const id = idFromFileName(source);
  const url = options.url ?? preamble.get('url') ?? `${DEFAULT_CANONICAL_BASE}/${resourceType}/${id}`;
  if (!isAbsoluteUri(url)) problems.push({ source, message: `url ${JSON.stringify(url)} is not an absolute URI` });
  const status = options.status ?? preamble.get('status') ?? 'active';
  if (!(STATUSES as readonly string[]).includes(status)) {
    problems.push({ source, message: `status ${JSON.stringify(status)} is not one of ${STATUSES.join(', ')}` });
  }
  return {
    id,
    url,
    name: options.name ?? preamble.get('name'),
    title: options.title ?? preamble.get('title'),
    version: options.version ?? preamble.get('version'),
    status: (STATUSES as readonly string[]).includes(status) ? (status as CsvMetadata['status']) : 'active',
    description: preamble.get('description'),
  };
}
