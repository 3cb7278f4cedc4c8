import { describe, expect, it } from 'vitest';
import { interpolate } from './interpolate.ts';

describe('interpolate', () => {
  it('fills strings inside lists and nested mappings and leaves other values alone', () => {
    const { value, problems } = interpolate(
      { sources: [{ url: 'mysql://${USER}@h' }, { port: 3306, enabled: true, note: null }] },
      { USER: 'his' },
      'simpul.yaml',
    );
    expect(problems).toEqual([]);
    expect(value).toEqual({ sources: [{ url: 'mysql://his@h' }, { port: 3306, enabled: true, note: null }] });
  });

  it('reports a missing variable inside a list with its index in the path', () => {
    const { problems } = interpolate({ sources: [{ url: 'ok' }, { url: '${MISSING}' }] }, {}, 'simpul.yaml');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: 'simpul.yaml', path: 'sources[1].url', expected: 'environment variable MISSING to be set' });
  });

  it('replaces several references in one string, each once', () => {
    const { value } = interpolate({ url: '${A}-${B:-b}-${A}' }, { A: 'a' }, 'f');
    expect(value).toEqual({ url: 'a-b-a' });
  });

  it('keeps a default that holds a colon or a URL', () => {
    const { value } = interpolate({ url: '${URL:-amqp://guest:guest@localhost:5672}' }, {}, 'f');
    expect(value).toEqual({ url: 'amqp://guest:guest@localhost:5672' });
  });

  it('does not read inherited properties as variables', () => {
    const { problems } = interpolate({ x: '${toString}' }, {}, 'f');
    expect(problems).toHaveLength(1);
  });
});
