import type { Hl7Context } from '@medplum/core';

/**
 * Decodes HL7 v2 escape sequences in one leaf value (after the message has been split on its
 * separators): \F\ \S\ \T\ \R\ \E\ become the separators they stand for, \Xhh..\ hexadecimal
 * bytes (read as UTF-8), and the formatted-text commands of TX/FT become plain text (\.br\ and
 * \.sp\ line breaks, \.sk n\ spaces). Highlighting (\H\ \N\) and character-set switches (\C..\,
 * \M..\), which plain text cannot express, are dropped. An unknown or unterminated sequence is
 * kept as it was sent, so nothing the sender wrote disappears silently.
 */
export function decodeV2Text(raw: string, context: Hl7Context): string {
  const escape = context.escapeCharacter;
  if (!escape || !raw.includes(escape)) {
    return raw;
  }
  let decoded = '';
  let position = 0;
  while (position < raw.length) {
    const start = raw.indexOf(escape, position);
    if (start === -1) {
      decoded += raw.slice(position);
      break;
    }
    decoded += raw.slice(position, start);
    const end = raw.indexOf(escape, start + 1);
    if (end === -1) {
      decoded += raw.slice(start);
      break;
    }
    const sequence = raw.slice(start + 1, end);
    decoded += decodeSequence(sequence, context) ?? raw.slice(start, end + 1);
    position = end + 1;
  }
  return decoded;
}

function decodeSequence(sequence: string, context: Hl7Context): string | undefined {
  switch (sequence) {
    case 'F':
      return context.fieldSeparator;
    case 'S':
      return context.componentSeparator;
    case 'T':
      return context.subcomponentSeparator;
    case 'R':
      return context.repetitionSeparator;
    case 'E':
      return context.escapeCharacter;
    case 'H':
    case 'N':
      return '';
    case '.br':
      return '\n';
    case '.fi':
    case '.nf':
    case '.ce':
      return sequence === '.ce' ? '\n' : '';
  }
  const formatting = /^\.(sp|sk|in|ti)\s*([+-]?\d+)?$/.exec(sequence);
  if (formatting) {
    const count = Math.max(0, Math.min(Number(formatting[2] ?? '1'), 100));
    if (formatting[1] === 'sp') {
      return '\n'.repeat(Math.max(1, count));
    }
    return formatting[1] === 'sk' ? ' '.repeat(count) : '';
  }
  if (/^X([0-9A-Fa-f]{2})+$/.test(sequence)) {
    return new TextDecoder('utf-8').decode(Buffer.from(sequence.slice(1), 'hex'));
  }
  if (/^[CM][0-9A-Fa-f]{4,6}$/.test(sequence)) {
    return '';
  }
  return undefined;
}
