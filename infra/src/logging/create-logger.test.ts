import { describe, expect, it } from 'vitest';
import { createLogger } from './create-logger.ts';
import { formatLine } from './pretty-stream.ts';
import { newTraceId, withTrace } from './trace.ts';

function capture(): { lines: string[]; destination: { write(text: string): void } } {
  const lines: string[] = [];
  return { lines, destination: { write: (text: string) => void lines.push(text) } };
}

function entries(lines: readonly string[]): Record<string, any>[] {
  return lines.flatMap((chunk) => chunk.split('\n').filter(Boolean)).map((line) => JSON.parse(line));
}

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('createLogger', () => {
  it('writes JSON lines with an ISO time, the level label, the name and the trace id', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ level: 'info', name: 'hub', destination });
    const traceId = newTraceId();
    withTrace(logger, traceId).info({ resourceType: 'Patient' }, 'stored');
    logger.info('untraced');

    expect(lines.every((line) => line.endsWith('\n'))).toBe(true);
    const [traced, untraced] = entries(lines);
    expect(traced).toMatchObject({ level: 'info', name: 'hub', traceId, msg: 'stored', resourceType: 'Patient' });
    expect(new Date(traced.time).toISOString()).toBe(traced.time);
    expect(untraced).not.toHaveProperty('traceId');
  });

  it('drops entries below the level', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ level: 'warn', name: 'mllp', destination });
    logger.info('quiet');
    logger.debug('quieter');
    logger.error('loud');
    expect(entries(lines).map((entry) => entry.level)).toEqual(['error']);
  });

  it('writes nothing at level silent', () => {
    const { lines, destination } = capture();
    createLogger({ level: 'silent', name: 'x', destination }).fatal('nope');
    expect(lines).toEqual([]);
  });

  it('redacts authorization headers, passwords, client secrets and tokens', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ level: 'info', name: 'hub', destination });
    logger.info(
      {
        req: { method: 'GET', headers: { authorization: 'Bearer eyJhbGciOi', cookie: 'sid=1', accept: 'application/fhir+json' } },
        password: 'hunter2',
        source: { password: 'db-pass', clientSecret: 'cs' },
        tokenResponse: { access_token: 'at', refresh_token: 'rt', expires_in: 300 },
      },
      'request',
    );
    const [entry] = entries(lines);
    expect(entry.req.headers).toEqual({ authorization: '***', cookie: '***', accept: 'application/fhir+json' });
    expect(entry.password).toBe('***');
    expect(entry.source).toEqual({ password: '***', clientSecret: '***' });
    expect(entry.tokenResponse).toEqual({ access_token: '***', refresh_token: '***', expires_in: 300 });
    expect(lines.join('')).not.toMatch(/eyJhbGciOi|hunter2|db-pass|"cs"|"at"|"rt"/);
  });

  it('writes one readable line per entry when pretty', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ level: 'info', name: 'dicom', pretty: true, destination });
    withTrace(logger, '3f2a9c1e-0000-4000-8000-000000000000').warn({ aeTitle: 'CT1' }, 'association rejected');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN {2}dicom \[3f2a9c1e\]: association rejected \{"aeTitle":"CT1"\}\n$/);
  });
});

describe('formatLine', () => {
  it('passes through a line that is not JSON', () => {
    expect(formatLine('plain text\n')).toBe('plain text');
    expect(formatLine('42')).toBe('42');
  });
});

describe('newTraceId', () => {
  it('returns distinct UUID v4 values', () => {
    const ids = new Set(Array.from({ length: 100 }, () => newTraceId()));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(UUID_V4);
  });
});
