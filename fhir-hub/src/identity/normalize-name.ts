/**
 * Person names as Indonesian registration desks write them: one name or several, honorifics and
 * degrees around them ("Hj. Siti Aminah, S.Pd", "dr. Budi Santoso, Sp.PD"), old (pre-1972) and new
 * spelling of the same name (Soeharto / Suharto, Djoko / Joko, Tjahjo / Cahyo), any token order.
 *
 * `nameTokens` gives the canonical tokens used for comparison; `phoneticKey` a coarser key per token
 * for blocking (candidate search), so that spelling variants and most single typos share a block.
 */

/** Honorifics and degrees, compared without dots: `S.Kom` → `skom`. Never taken as a name. */
const TITLES = new Set([
  'dr', 'drg', 'drs', 'dra', 'prof', 'hj', 'tn', 'ny', 'nn', 'sdr', 'sdri', 'bpk', 'bapak', 'ibu', 'kh', 'ust', 'ustadz',
  'skom', 'sh', 'se', 'spd', 'sked', 'ssi', 'sst', 'sag', 'sip', 'sos', 'ssos', 'sfarm', 'skep', 'skm', 'ns', 'amd', 'amk',
  'mkes', 'mm', 'mba', 'msc', 'bsc', 'phd', 'mh', 'mpd', 'msi', 'mt', 'mkom', 'apt', 'bsn',
  'sppd', 'spa', 'spog', 'spb', 'sprad', 'spjp', 'spm', 'spkk', 'spthtkl', 'spn', 'span', 'spot', 'spu', 'sps', 'spkj', 'sppk', 'sppa',
]);
/** Short words that are titles only when written with a dot ("H. Ahmad", "An. Rudi", "By. Ny. Sari"). */
const DOTTED_ONLY_TITLES = new Set(['h', 'an', 'by', 'st', 'ir']);

/** Old Indonesian (van Ophuijsen / Soewandi) spellings → new, applied in this order. */
const SPELLING: [RegExp, string][] = [
  [/oe/g, 'u'],
  [/dj/g, 'j'],
  [/tj/g, 'c'],
  [/sj/g, 'sy'],
  [/nj/g, 'ny'],
  [/ch/g, 'kh'],
  // "j" was "y" before 1972 (Jusuf = Yusuf) and is "j" now: both become "y" so either spelling meets.
  [/j/g, 'y'],
  [/ph/g, 'f'],
  [/v/g, 'f'],
  [/q/g, 'k'],
  [/x/g, 'ks'],
  [/z/g, 's'],
  [/(.)\1+/g, '$1'],
];

/** Canonical name tokens: lowercase ASCII, titles and degrees removed, old spelling folded. */
export function nameTokens(text: string): string[] {
  const withoutDegrees = text.split(',')[0] ?? '';
  const tokens: string[] = [];
  for (const raw of withoutDegrees.split(/\s+/)) {
    const dotted = raw.includes('.');
    // "S.Kom" and "Sp.PD" are one degree; "M.Rizki" is an initial then a name.
    const pieces = /^[a-z]{1,2}\.[a-z]{1,4}\.?$/i.test(raw) && TITLES.has(fold(raw)) ? [raw] : raw.split('.');
    for (const piece of pieces) {
      const token = fold(piece);
      if (!token) continue;
      if (DOTTED_ONLY_TITLES.has(token) ? dotted : TITLES.has(token)) continue;
      tokens.push(canonicalSpelling(token));
    }
  }
  return tokens.filter((t) => t.length > 0);
}

/** Letters only, lowercase, diacritics removed. */
function fold(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z]/g, '');
}

export function canonicalSpelling(token: string): string {
  let result = token;
  for (const [pattern, replacement] of SPELLING) result = result.replace(pattern, replacement);
  return result;
}

/**
 * A coarse sound key: the first letter, then the consonant skeleton with `h` after a consonant and
 * repeats dropped (Muhammad, Mohammad, Mochammad, Muhamad → "mhmd"). Two letters at least.
 */
export function phoneticKey(token: string): string {
  if (token.length === 0) return '';
  const folded = token.replace(/kh/g, 'h').replace(/([bcdfgkpst])h/g, '$1');
  let key = folded[0];
  for (const char of folded.slice(1)) {
    if ('aeiouy'.includes(char)) continue;
    if (key.at(-1) !== char) key += char;
  }
  return key.length >= 2 ? key : folded.slice(0, 3);
}

/** Jaro-Winkler similarity in [0, 1]. */
export function jaroWinkler(a: string, b: string): number {
  if (a === b) return 1;
  if (a.length === 0 || b.length === 0) return 0;
  const window = Math.max(0, Math.floor(Math.max(a.length, b.length) / 2) - 1);
  const aMatched = new Array<boolean>(a.length).fill(false);
  const bMatched = new Array<boolean>(b.length).fill(false);
  let matches = 0;
  for (let i = 0; i < a.length; i++) {
    const from = Math.max(0, i - window);
    const to = Math.min(b.length - 1, i + window);
    for (let j = from; j <= to; j++) {
      if (bMatched[j] || a[i] !== b[j]) continue;
      aMatched[i] = true;
      bMatched[j] = true;
      matches++;
      break;
    }
  }
  if (matches === 0) return 0;
  let transpositions = 0;
  let k = 0;
  for (let i = 0; i < a.length; i++) {
    if (!aMatched[i]) continue;
    while (!bMatched[k]) k++;
    if (a[i] !== b[k]) transpositions++;
    k++;
  }
  const jaro = (matches / a.length + matches / b.length + (matches - transpositions / 2) / matches) / 3;
  let prefix = 0;
  while (prefix < Math.min(4, a.length, b.length) && a[prefix] === b[prefix]) prefix++;
  return jaro + prefix * 0.1 * (1 - jaro);
}

/**
 * Similarity of two token lists regardless of order: each token of the shorter name is paired with
 * its best counterpart in the other. A single name inside a longer one ("Sukarno" / "Sukarno Putra")
 * scores a little below an exact full match; an initial ("M") matches a token it begins.
 */
export function nameSimilarity(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  const used = new Set<number>();
  let total = 0;
  for (const token of short) {
    let best = 0;
    let bestIndex = -1;
    for (let i = 0; i < long.length; i++) {
      if (used.has(i)) continue;
      const other = long[i];
      const similarity = token.length === 1 || other.length === 1 ? (token[0] === other[0] ? 0.85 : 0) : jaroWinkler(token, other);
      if (similarity > best) {
        best = similarity;
        bestIndex = i;
      }
    }
    if (bestIndex >= 0) used.add(bestIndex);
    total += best;
  }
  const coverage = short.length / long.length;
  return (total / short.length) * (0.9 + 0.1 * coverage);
}
