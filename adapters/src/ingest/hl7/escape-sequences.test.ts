import { Hl7Context, Hl7Message } from '@medplum/core';
import { describe, expect, it } from 'vitest';
import { decodeV2Text } from './escape-sequences.ts';
import { segmentViews } from './segment-view.ts';

const context = new Hl7Context();

describe('decodeV2Text', () => {
  it.each([
    ['a\\F\\b', 'a|b'],
    ['a\\S\\b', 'a^b'],
    ['a\\T\\b', 'a&b'],
    ['a\\R\\b', 'a~b'],
    ['C:\\E\\data', 'C:\\data'],
    ['line one\\.br\\line two', 'line one\nline two'],
    ['para\\.sp2\\next', 'para\n\nnext'],
    ['col\\.sk3\\x', 'col   x'],
    ['\\H\\PENTING\\N\\ hasil', 'PENTING hasil'],
    ['\\X41\\\\X42\\', 'AB'],
    ['suhu 38\\XC2B0\\C', 'suhu 38°C'],
    ['no escapes at all', 'no escapes at all'],
  ])('%j → %j', (raw, decoded) => {
    expect(decodeV2Text(raw, context)).toBe(decoded);
  });

  it('keeps an unknown sequence as sent rather than dropping text', () => {
    expect(decodeV2Text('path \\Q99\\ end', context)).toBe('path \\Q99\\ end');
  });

  it('keeps an unterminated escape as sent', () => {
    expect(decodeV2Text('trailing \\F', context)).toBe('trailing \\F');
  });

  it('decodes \\E\\F\\ as an escaped escape followed by text, not a field separator', () => {
    expect(decodeV2Text('\\E\\F\\', context)).toBe('\\F\\');
  });

  it('uses the separators the message declares in MSH-1 and MSH-2', () => {
    const message = Hl7Message.parse('MSH#*@!%#A#B\rNTE#1##x!F!y!S!z!.br!w');
    const nte = segmentViews(message).find((segment) => segment.name === 'NTE');
    expect(nte?.field(3).text()).toBe('x#y*z\nw');
  });
});
