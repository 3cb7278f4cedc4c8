import { describe, expect, test } from 'vitest';
import { boundaryOf, MultipartError, parseContentType, parseMultipart } from './multipart-related.ts';

const CRLF = '\r\n';

function body(...chunks: (string | Buffer)[]): Buffer {
  return Buffer.concat(chunks.map((chunk) => (typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk)));
}

describe('parseContentType', () => {
  test('reads the media type and parameters, quoted or not, case-insensitively', () => {
    const parsed = parseContentType('Multipart/Related; type="application/dicom"; Boundary=abc123 ; start="<a\\"b>"');
    expect(parsed.mediaType).toBe('multipart/related');
    expect(Object.fromEntries(parsed.parameters)).toEqual({ type: 'application/dicom', boundary: 'abc123', start: '<a"b>' });
  });

  test.each(['multipart/related; boundary', 'multipart/related; =x', 'multipart/related; a="unterminated'])('refuses "%s"', (header) => {
    expect(() => parseContentType(header)).toThrow(MultipartError);
  });

  test('boundaryOf needs a boundary of 1-70 allowed characters', () => {
    expect(boundaryOf(parseContentType('multipart/related; boundary="with space inside"'))).toBe('with space inside');
    expect(() => boundaryOf(parseContentType('multipart/related'))).toThrow(/no boundary/);
    expect(() => boundaryOf(parseContentType(`multipart/related; boundary=${'x'.repeat(71)}`))).toThrow(/not a valid/);
    expect(() => boundaryOf(parseContentType('multipart/related; boundary="ends with space "'))).toThrow(/not a valid/);
  });
});

describe('parseMultipart', () => {
  test('two binary parts with a preamble, headers and an epilogue', () => {
    const first = Buffer.from([0x00, 0x0d, 0x0a, 0x2d, 0x2d, 0xff, 0x0d]); // CRLF "--" inside the content
    const second = Buffer.from('second\r\n', 'latin1');
    const parts = parseMultipart(
      body(
        'preamble to ignore',
        CRLF,
        '--b0undary',
        CRLF,
        'Content-Type: application/dicom',
        CRLF,
        'X-Note: folded',
        CRLF,
        '  continued',
        CRLF,
        CRLF,
        first,
        CRLF,
        '--b0undary',
        CRLF,
        'content-type:application/dicom',
        CRLF,
        CRLF,
        second,
        CRLF,
        '--b0undary--',
        CRLF,
        'epilogue',
      ),
      'b0undary',
    );
    expect(parts).toHaveLength(2);
    expect(parts[0].content.equals(first)).toBe(true);
    expect(parts[0].headers.get('content-type')).toBe('application/dicom');
    expect(parts[0].headers.get('x-note')).toBe('folded continued');
    expect(parts[1].content.equals(second)).toBe(true);
  });

  test('a boundary look-alike inside the content does not split the part', () => {
    const content = body('abc', CRLF, '--bx not a delimiter line', CRLF, '--bxyz', CRLF, 'end');
    const parts = parseMultipart(body('--bx', CRLF, CRLF, content, CRLF, '--bx--'), 'bx');
    expect(parts).toHaveLength(1);
    expect(parts[0].content.equals(content)).toBe(true);
    expect(parts[0].headers.size).toBe(0);
  });

  test('transport padding after a delimiter is allowed', () => {
    const parts = parseMultipart(body('--b  \t', CRLF, CRLF, 'x', CRLF, '--b--'), 'b');
    expect(parts[0].content.toString()).toBe('x');
  });

  test.each([
    ['no delimiter at all', body('just bytes'), /no "--b" delimiter/],
    ['no closing delimiter', body('--b', CRLF, CRLF, 'x'), /no closing/],
    ['a close before any part', body('--b--', CRLF), /closes before its first part/],
    ['LF-only line ends', body('--b\n\nx\n--b--'), /no "--b" delimiter|no closing/],
    ['a part without the blank line after its headers', body('--b', CRLF, 'Content-Type: application/dicom', CRLF, '--b--'), /no blank line/],
    ['a malformed header line', body('--b', CRLF, 'no colon here', CRLF, CRLF, 'x', CRLF, '--b--'), /malformed header/],
  ])('refuses %s', (_name, bytes, message) => {
    expect(() => parseMultipart(bytes, 'b')).toThrow(message);
  });
});
