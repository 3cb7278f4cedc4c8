/**
 * A DICOM PN value split into its parts. Components are family^given^middle^prefix^suffix. A value with
 * no "^" at all is not split: Indonesian single names ("Sukarno") and names typed without delimiters
 * ("BUDI SANTOSO") carry no family/given structure, and guessing one would invent a family name, so
 * only `text` is set.
 */
export interface PersonName {
  readonly text: string;
  readonly family?: string;
  readonly given?: string[];
  readonly prefix?: string[];
  readonly suffix?: string[];
  /** The ideographic and phonetic component groups, when present. */
  readonly ideographic?: string;
  readonly phonetic?: string;
}

/** Accepts what dcmjs gives for a PN (an array of {Alphabetic, Ideographic, Phonetic}) or a raw string. */
export function parsePersonName(value: unknown): PersonName | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  let alphabetic: string | undefined;
  let ideographic: string | undefined;
  let phonetic: string | undefined;
  if (typeof first === 'string') {
    [alphabetic, ideographic, phonetic] = first.split('=');
  } else if (first && typeof first === 'object') {
    const groups = first as { Alphabetic?: unknown; Ideographic?: unknown; Phonetic?: unknown };
    alphabetic = typeof groups.Alphabetic === 'string' ? groups.Alphabetic : undefined;
    ideographic = typeof groups.Ideographic === 'string' ? groups.Ideographic : undefined;
    phonetic = typeof groups.Phonetic === 'string' ? groups.Phonetic : undefined;
  }
  const extra = {
    ...(clean(ideographic) ? { ideographic: clean(ideographic) } : {}),
    ...(clean(phonetic) ? { phonetic: clean(phonetic) } : {}),
  };
  const raw = alphabetic ?? '';
  if (!raw.includes('^')) {
    const text = clean(raw) || extra.ideographic || extra.phonetic;
    return text ? { text, ...extra } : undefined;
  }
  const [family, given, middle, prefix, suffix] = raw.split('^').map(clean);
  const givenNames = [given, middle].filter(Boolean);
  const text = [prefix, given, middle, family, suffix].filter(Boolean).join(' ');
  if (!text) {
    return Object.keys(extra).length > 0 ? { text: extra.ideographic ?? extra.phonetic ?? '', ...extra } : undefined;
  }
  return {
    text,
    ...(family ? { family } : {}),
    ...(givenNames.length > 0 ? { given: givenNames } : {}),
    ...(prefix ? { prefix: [prefix] } : {}),
    ...(suffix ? { suffix: [suffix] } : {}),
    ...extra,
  };
}

function clean(part: string | undefined): string {
  return (part ?? '').replace(/\s+/g, ' ').trim();
}
