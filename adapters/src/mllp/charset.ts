import type { MllpCharset } from './source-settings.ts';

/**
 * Character sets of HL7 v2 messages (MSH-18, HL7 table 0211). A frame is first read as latin1,
 * which maps every byte to one character and so loses nothing, to find MSH-18; the frame is then
 * decoded with the charset it names (or the source's default when MSH-18 is empty).
 */

export interface Hl7Charset {
  /** As written in MSH-18. */
  name: MllpCharset;
  decode(bytes: Buffer): string;
  encode(text: string): Buffer;
}

export class CharsetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CharsetError';
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** ISO 8859-1 as Node's `latin1` (byte n = U+00nn), not the WHATWG alias that means windows-1252. */
const LATIN1: Omit<Hl7Charset, 'name'> = {
  decode: (bytes) => bytes.toString('latin1'),
  encode: (text) => Buffer.from(text, 'latin1'),
};

const CHARSETS: Readonly<Record<MllpCharset, Hl7Charset>> = {
  // 7-bit ASCII declared but 8-bit bytes sent is common; latin1 keeps those bytes as they are.
  ASCII: { name: 'ASCII', ...LATIN1 },
  '8859/1': { name: '8859/1', ...LATIN1 },
  'UNICODE UTF-8': {
    name: 'UNICODE UTF-8',
    decode: (bytes) => {
      try {
        return strictUtf8.decode(bytes);
      } catch (error) {
        throw new CharsetError(`the message is not valid UTF-8 (${(error as Error).message}); set MSH-18 to the charset it is written in`);
      }
    },
    encode: (text) => Buffer.from(text, 'utf8'),
  },
};

/** The lossless first reading of a frame. */
export const LOSSLESS_CHARSET: Hl7Charset = CHARSETS['8859/1'];

/**
 * The charset MSH-18 names (its first repetition, compared without regard to case or extra spaces),
 * else `fallback`; undefined when MSH-18 names a charset the edge does not decode.
 */
export function charsetFor(msh18: string, fallback: MllpCharset): Hl7Charset | undefined {
  if (msh18 === '') return CHARSETS[fallback];
  if (Object.hasOwn(CHARSETS, msh18)) return CHARSETS[msh18 as MllpCharset];
  const name = msh18.trim().replace(/\s+/g, ' ').toUpperCase();
  if (name === '') return CHARSETS[fallback];
  return Object.hasOwn(CHARSETS, name) ? CHARSETS[name as MllpCharset] : undefined;
}

export const SUPPORTED_CHARSETS: readonly MllpCharset[] = Object.keys(CHARSETS) as MllpCharset[];
