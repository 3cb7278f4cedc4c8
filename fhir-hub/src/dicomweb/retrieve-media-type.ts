/**
 * Which representation of an instance a WADO-RS client asked for (PS3.18 8.7): `application/dicom`
 * as a single part, or `multipart/related; type="application/dicom"`. The instance is sent in the
 * transfer syntax it was stored in; a client asking only for another one gets 406 (nothing is transcoded).
 */

export type RetrieveMediaType = { kind: 'single' } | { kind: 'multipart' };

interface MediaRange {
  readonly type: string;
  readonly params: Record<string, string>;
  readonly q: number;
}

/** The chosen representation, or undefined when nothing in Accept can be served. */
export function chooseRetrieveMediaType(accept: string | undefined, storedTransferSyntax: string | undefined): RetrieveMediaType | undefined {
  const ranges = parseAccept(accept ?? '').filter((range) => range.q > 0);
  if (ranges.length === 0) return { kind: 'single' };
  const servable = (range: MediaRange): boolean => {
    const syntax = range.params['transfer-syntax'];
    return syntax === undefined || syntax === '*' || syntax === storedTransferSyntax;
  };
  for (const range of [...ranges].sort((a, b) => b.q - a.q)) {
    if (!servable(range)) continue;
    if (range.type === 'application/dicom') return { kind: 'single' };
    if (range.type === 'multipart/related' && (range.params.type ?? 'application/dicom') === 'application/dicom') return { kind: 'multipart' };
    if (range.type === '*/*' || range.type === 'application/*') return { kind: 'single' };
  }
  return undefined;
}

function parseAccept(accept: string): MediaRange[] {
  return splitOutsideQuotes(accept, ',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const [type, ...rawParams] = splitOutsideQuotes(part, ';').map((p) => p.trim());
      const params: Record<string, string> = {};
      for (const raw of rawParams) {
        const eq = raw.indexOf('=');
        if (eq < 0) continue;
        params[raw.slice(0, eq).trim().toLowerCase()] = raw.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
      }
      const q = params.q === undefined ? 1 : Number(params.q);
      return { type: type.toLowerCase(), params, q: Number.isFinite(q) ? q : 0 };
    });
}

function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (const char of text) {
    if (char === '"') quoted = !quoted;
    if (char === separator && !quoted) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts;
}
