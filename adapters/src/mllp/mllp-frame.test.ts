import { describe, expect, it } from 'vitest';
import { encodeMllpFrame, MllpFrameDecoder, MllpFramingError } from './mllp-frame.ts';

const frame = (text: string): Buffer => encodeMllpFrame(Buffer.from(text, 'latin1'));
const texts = (frames: Buffer[]): string[] => frames.map((f) => f.toString('latin1'));

function framingError(action: () => unknown): MllpFramingError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(MllpFramingError);
    return error as MllpFramingError;
  }
  throw new Error('expected a framing error');
}

describe('MllpFrameDecoder', () => {
  it('wraps and unwraps a frame', () => {
    const encoded = frame('MSH|a');
    expect([...encoded.subarray(0, 1)]).toEqual([0x0b]);
    expect([...encoded.subarray(-2)]).toEqual([0x1c, 0x0d]);
    expect(texts(new MllpFrameDecoder(100).push(encoded))).toEqual(['MSH|a']);
  });

  it('splits several frames in one chunk and tolerates CR/LF between frames', () => {
    const chunk = Buffer.concat([frame('one'), Buffer.from('\r\n'), frame('two'), frame('three')]);
    expect(texts(new MllpFrameDecoder(100).push(chunk))).toEqual(['one', 'two', 'three']);
  });

  it('joins a frame that arrives one byte at a time, including an end block split across chunks', () => {
    const decoder = new MllpFrameDecoder(100);
    const bytes = Buffer.concat([frame('MSH|split'), frame('next')]);
    const out: Buffer[] = [];
    for (const byte of bytes) out.push(...decoder.push(Buffer.from([byte])));
    expect(texts(out)).toEqual(['MSH|split', 'next']);
    expect(decoder.inFrame).toBe(false);
  });

  it('keeps an FS that is not followed by CR as content', () => {
    const decoder = new MllpFrameDecoder(100);
    expect(decoder.push(Buffer.from('\x0bab\x1c'))).toEqual([]);
    expect(texts(decoder.push(Buffer.from('cd\x1c\r')))).toEqual(['ab\x1ccd']);
    expect(texts(new MllpFrameDecoder(100).push(Buffer.from('\x0bab\x1cx\x1c\r')))).toEqual(['ab\x1cx']);
  });

  it('reports an unfinished frame and its size', () => {
    const decoder = new MllpFrameDecoder(100);
    decoder.push(Buffer.from('\x0bMSH|12345'));
    expect(decoder.inFrame).toBe(true);
    expect(decoder.pendingBytes).toBe(9);
  });

  it('accepts a frame of exactly the limit and refuses one byte more, before the end block arrives', () => {
    expect(texts(new MllpFrameDecoder(5).push(frame('12345')))).toEqual(['12345']);
    const decoder = new MllpFrameDecoder(5);
    decoder.push(Buffer.from('\x0b123'));
    expect(framingError(() => decoder.push(Buffer.from('456'))).code).toBe('FRAME_TOO_LARGE');
    expect(framingError(() => new MllpFrameDecoder(5).push(frame('123456'))).code).toBe('FRAME_TOO_LARGE');
  });

  it('refuses bytes outside a frame', () => {
    const error = framingError(() => new MllpFrameDecoder(100).push(Buffer.from('GET / HTTP/1.1\r\n')));
    expect(error.code).toBe('NOT_MLLP');
    expect(error.message).toContain('0x47');
    expect(framingError(() => new MllpFrameDecoder(100).push(Buffer.concat([frame('ok'), Buffer.from([0x00])]))).code).toBe('NOT_MLLP');
  });

  it('handles a large frame in many chunks in linear time', () => {
    const size = 8 * 1024 * 1024;
    const decoder = new MllpFrameDecoder(size);
    const body = Buffer.alloc(size, 0x41);
    const bytes = encodeMllpFrame(body);
    const started = performance.now();
    const out: Buffer[] = [];
    for (let offset = 0; offset < bytes.length; offset += 65536) out.push(...decoder.push(bytes.subarray(offset, offset + 65536)));
    expect(out).toHaveLength(1);
    expect(out[0].equals(body)).toBe(true);
    expect(performance.now() - started).toBeLessThan(500);
  });
});
