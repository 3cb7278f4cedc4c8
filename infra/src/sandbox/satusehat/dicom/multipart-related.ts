/**
 * `multipart/related` bodies (RFC 2387 over RFC 2046 §5.1) as DICOMweb STOW-RS sends them: each
 * body part is one Part 10 file. Binary-safe: a part ends only at a whole delimiter line (CRLF,
 * "--" + boundary, then "--" or optional padding and CRLF), never at a look-alike run of bytes.
 */

export interface ContentType {
  mediaType: string;
  parameters: Map<string, string>;
}

export interface BodyPart {
  headers: Map<string, string>;
  content: Buffer;
}

export class MultipartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MultipartError';
  }
}

const CRLF = Buffer.from('\r\n');
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const BOUNDARY = /^[0-9A-Za-z'()+_,./:=? -]{0,69}[0-9A-Za-z'()+_,./:=?-]$/;

/** `type/subtype; name=value; name="quoted \" value"` → lower-cased media type and parameter names. */
export function parseContentType(header: string): ContentType {
  const semicolon = header.indexOf(';');
  const mediaType = (semicolon < 0 ? header : header.slice(0, semicolon)).trim().toLowerCase();
  const parameters = new Map<string, string>();
  let rest = semicolon < 0 ? '' : header.slice(semicolon + 1);
  while (rest.trim() !== '') {
    const match = /^\s*([^=;\s]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^";\s]*)\s*(?:;|$)/.exec(rest);
    if (!match || !TOKEN.test(match[1])) throw new MultipartError(`malformed Content-Type parameters: "${rest.trim()}"`);
    const raw = match[2];
    parameters.set(match[1].toLowerCase(), raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw);
    rest = rest.slice(match[0].length);
  }
  return { mediaType, parameters };
}

/** The boundary of a multipart Content-Type, checked against RFC 2046's grammar. */
export function boundaryOf(contentType: ContentType): string {
  const boundary = contentType.parameters.get('boundary');
  if (boundary === undefined) throw new MultipartError('the multipart Content-Type has no boundary parameter');
  if (!BOUNDARY.test(boundary)) throw new MultipartError(`the boundary "${boundary}" is not a valid multipart boundary (1-70 characters)`);
  return boundary;
}

export function parseMultipart(body: Buffer, boundary: string): BodyPart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  // The first delimiter may open the body; otherwise it follows a CRLF ending the preamble.
  let at = isDelimiterLine(body, 0, delimiter) ? 0 : findDelimiter(body, delimiter, 0);
  if (at < 0) throw new MultipartError(`the body has no "--${boundary}" delimiter line`);

  const parts: BodyPart[] = [];
  for (;;) {
    let cursor = at + delimiter.length;
    if (body.subarray(cursor, cursor + 2).toString('latin1') === '--') {
      if (parts.length === 0) throw new MultipartError('the body closes before its first part');
      return parts;
    }
    while (body[cursor] === 0x20 || body[cursor] === 0x09) cursor += 1; // transport padding
    const partStart = cursor + 2; // isDelimiterLine checked the CRLF
    const next = findDelimiter(body, delimiter, partStart);
    if (next < 0) throw new MultipartError(`part ${parts.length + 1} has no closing "--${boundary}" delimiter line`);
    parts.push(parsePart(body.subarray(partStart, next - 2), parts.length + 1));
    at = next;
  }
}

/**
 * Index of the next delimiter line at or after `from`: CRLF "--boundary", then either "--" (the
 * close) or optional spaces and CRLF. Returns the index of the "--", or -1.
 */
function findDelimiter(body: Buffer, delimiter: Buffer, from: number): number {
  const needle = Buffer.concat([CRLF, delimiter]);
  for (let found = body.indexOf(needle, from); found >= 0; found = body.indexOf(needle, found + 1)) {
    if (isDelimiterLine(body, found + 2, delimiter)) return found + 2;
  }
  return -1;
}

function isDelimiterLine(body: Buffer, at: number, delimiter: Buffer): boolean {
  if (!body.subarray(at, at + delimiter.length).equals(delimiter)) return false;
  let cursor = at + delimiter.length;
  if (body[cursor] === 0x2d && body[cursor + 1] === 0x2d) return true;
  while (body[cursor] === 0x20 || body[cursor] === 0x09) cursor += 1;
  return body[cursor] === 0x0d && body[cursor + 1] === 0x0a;
}

function parsePart(part: Buffer, number: number): BodyPart {
  const headers = new Map<string, string>();
  if (part.subarray(0, 2).equals(CRLF)) return { headers, content: part.subarray(2) };
  const end = part.indexOf('\r\n\r\n');
  if (end < 0) throw new MultipartError(`part ${number} has no blank line between its headers and its content`);
  let lastName: string | undefined;
  for (const line of part.subarray(0, end).toString('latin1').split('\r\n')) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && lastName !== undefined) {
      headers.set(lastName, `${headers.get(lastName)} ${line.trim()}`); // folded header line
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0 || !TOKEN.test(line.slice(0, colon))) throw new MultipartError(`part ${number} has a malformed header line: "${line}"`);
    lastName = line.slice(0, colon).toLowerCase();
    headers.set(lastName, line.slice(colon + 1).trim());
  }
  return { headers, content: part.subarray(end + 4) };
}
