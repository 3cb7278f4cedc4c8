/**
 * Text handling shared by the index writer and the query builder, so that both sides of every
 * comparison are transformed the same way.
 */

/** Longest text kept in an indexed (btree) column; a btree row must stay under ~2.7 kB. */
export const MAX_INDEXED_CHARS = 512;

const COMBINING_MARKS = /\p{M}+/gu;

/**
 * Removes characters PostgreSQL text cannot store (NUL). Such a character can never be stored, so
 * it is dropped from indexed values and search values alike.
 */
export function sanitizeText(value: string): string {
  return value.includes('\u0000') ? value.replaceAll('\u0000', '') : value;
}

/** Caps text that goes into an indexed column (and the query value compared with it). */
export function capIndexedText(value: string): string {
  return value.length > MAX_INDEXED_CHARS ? value.slice(0, MAX_INDEXED_CHARS) : value;
}

/**
 * Case- and accent-insensitive form used by string search: lower-cased, decomposed (NFD),
 * combining marks removed. "Ďurík" and "DURIK" both become "durik".
 */
export function normalizeSearchText(value: string): string {
  return capIndexedText(sanitizeText(value).toLowerCase().normalize('NFD').replace(COMBINING_MARKS, ''));
}

/**
 * The smallest string greater than every string that starts with `prefix`, in code point order
 * (which is byte order of UTF-8, i.e. the "C" collation). Undefined when there is none.
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const codePoints = Array.from(prefix, (ch) => ch.codePointAt(0) as number);
  while (codePoints.length > 0) {
    const last = codePoints.pop() as number;
    if (last < 0x10ffff) {
      // Skip the surrogate block: those code points are not valid on their own in UTF-8.
      const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
      codePoints.push(next);
      return String.fromCodePoint(...codePoints);
    }
  }
  return undefined;
}

/** Escapes LIKE wildcards so user text matches literally (backslash is LIKE's default escape). */
export function escapeLikePattern(value: string): string {
  return value.replace(/[\\%_]/g, (ch) => '\\' + ch);
}
