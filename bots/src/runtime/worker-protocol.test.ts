import { describe, expect, test } from 'vitest';
import { resultProblem, thrownText } from './worker-protocol.ts';

describe('resultProblem', () => {
  test.each([undefined, null, 'text', 0, true, [], {}, { resourceType: 'Patient', name: [{ given: ['A'] }] }, Object.create(null)])('accepts JSON data %#', (value) => {
    expect(resultProblem(value)).toBeUndefined();
  });

  test.each([
    ['a function', () => 1, /function at result/],
    ['a nested function', { a: [1, { b: () => 1 }] }, /function at result\.a\[1\]\.b/],
    ['a symbol', Symbol('x'), /symbol/],
    ['a BigInt', 10n, /bigint/],
    ['NaN', Number.NaN, /NaN/],
    ['Infinity', { n: Number.POSITIVE_INFINITY }, /Infinity/],
    ['a Map', new Map(), /Map/],
    ['a Date', new Date(), /Date/],
    ['a class instance', new (class Thing {})(), /Thing/],
    ['a promise', Promise.resolve(1), /Promise/],
  ])('refuses %s', (_label, value, expected) => {
    expect(resultProblem(value)).toMatch(expected);
  });

  test('refuses cycles and absurd nesting without blowing the stack', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(resultProblem(cyclic)).toMatch(/cycle/);
    let deep: unknown = 'leaf';
    for (let i = 0; i < 10_000; i++) deep = [deep];
    expect(resultProblem(deep)).toMatch(/nested deeper/);
  });

  test('the same object twice (not a cycle) is fine', () => {
    const shared = { a: 1 };
    expect(resultProblem({ x: shared, y: shared })).toBeUndefined();
  });
});

describe('thrownText', () => {
  test('never throws, whatever was thrown', () => {
    expect(thrownText(new Error('boom'))).toBe('boom');
    expect(thrownText('plain')).toBe('plain');
    expect(thrownText({ code: 1 })).toBe('a non-Error value was thrown: {"code":1}');
    expect(thrownText(undefined)).toBe('a non-Error value was thrown: undefined');
    const hostile = {
      toJSON() {
        throw new Error('no');
      },
    };
    expect(thrownText(hostile)).toBe('a value was thrown that cannot be printed');
    const badMessage = new Error('x');
    Object.defineProperty(badMessage, 'message', {
      get() {
        throw new Error('getter');
      },
    });
    expect(thrownText(badMessage)).toBe('a value was thrown that cannot be printed');
  });
});
