/** A canonical reference split into its URL and optional version: `http://x/cs|2.1` → url, version. */
export interface CanonicalReference {
  url: string;
  version?: string;
}

export function parseCanonical(canonical: string, version?: string): CanonicalReference {
  const bar = canonical.indexOf('|');
  if (bar < 0) return version ? { url: canonical, version } : { url: canonical };
  const url = canonical.slice(0, bar);
  const embedded = canonical.slice(bar + 1);
  const chosen = version ?? (embedded === '' ? undefined : embedded);
  return chosen ? { url, version: chosen } : { url };
}

export function formatCanonical(url: string, version?: string): string {
  return version ? `${url}|${version}` : url;
}
