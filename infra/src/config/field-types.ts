import { z } from 'zod';
import { expecting } from './expectations.ts';

/** Setting types that several components share. */

export const portSchema = expecting(z.int().min(1).max(65535), 'a number between 1 and 65535');

/** A host name, an IPv4 address or a bare IPv6 address (optionally with a zone), as `listen()` takes it. */
export const hostSchema = expecting(
  z
    .string()
    .trim()
    .regex(/^(?:[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.?|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(?:%[\w.-]+)?)$/),
  'a host name or IP address such as 127.0.0.1, 0.0.0.0 or ::',
);

export function positiveIntSchema(max: number = Number.MAX_SAFE_INTEGER) {
  return expecting(
    z.int().min(1).max(max),
    max === Number.MAX_SAFE_INTEGER ? 'a whole number of at least 1' : `a whole number between 1 and ${max}`,
  );
}

const BYTE_UNITS: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1000,
  kib: 1024,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
  tb: 1000 ** 4,
  tib: 1024 ** 4,
};

/** `16777216`, `"16777216"`, `"16 MiB"`, `"1.5GB"` → bytes; undefined when it is not a whole, positive size. */
export function parseByteSize(value: number | string): number | undefined {
  let bytes: number;
  if (typeof value === 'number') {
    bytes = value;
  } else {
    const match = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(value);
    if (!match) return undefined;
    const unit = BYTE_UNITS[(match[2] || 'b').toLowerCase()];
    if (unit === undefined) return undefined;
    bytes = Number(match[1]) * unit;
  }
  return Number.isSafeInteger(bytes) && bytes >= 1 ? bytes : undefined;
}

/** A size in bytes: a whole number, or text with a unit (B, KB, KiB, MB, MiB, GB, GiB, TB, TiB). */
export function byteSizeSchema() {
  return expecting(
    z.union([z.number(), z.string()]).transform((value, ctx) => {
      const bytes = parseByteSize(value);
      if (bytes === undefined) {
        ctx.addIssue({ code: 'custom', message: 'not a size in bytes', input: value });
        return z.NEVER;
      }
      return bytes;
    }),
    'a size in bytes such as 16777216 or "16 MiB"',
  );
}

/** A URL whose scheme is one of `schemes` (without the colon) and that parses. */
export function urlWithSchemeSchema(schemes: readonly string[]) {
  const allowed = schemes.map((scheme) => `${scheme}://`).join(' or ');
  return expecting(
    z.string().refine((text) => {
      if (!URL.canParse(text)) return false;
      return schemes.includes(new URL(text).protocol.slice(0, -1));
    }),
    `a URL starting with ${allowed}`,
  );
}
