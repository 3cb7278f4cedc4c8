import { describe, expect, test } from 'vitest';
import { unseal, seal, isSealed } from './key-sealing.ts';
import { generateSecret, hashSecret, verifySecret } from './secret-hash.ts';

const FAST = { log2N: 10, r: 8, p: 1 };

describe('secret hashing (scrypt)', () => {
  test('verifies the right secret, refuses a wrong one, salts every hash', async () => {
    const a = await hashSecret('correct horse battery staple', FAST);
    const b = await hashSecret('correct horse battery staple', FAST);
    expect(a).toMatch(/^scrypt\$10\$8\$1\$/);
    expect(a).not.toBe(b);
    expect(await verifySecret('correct horse battery staple', a)).toBe(true);
    expect(await verifySecret('correct horse battery stapl', a)).toBe(false);
    expect(a).not.toContain('correct');
  });

  test('the default parameters are memory-hard (N = 2^15, r = 8)', async () => {
    expect(await hashSecret('x')).toMatch(/^scrypt\$15\$8\$1\$/);
  });

  test.each(['', 'plain', 'scrypt$99$8$1$AAAA$AAAA', 'scrypt$10$8$1$$', 'bcrypt$10$x$y$z$w', 'scrypt$x$8$1$AAAA$AAAA'])(
    'a malformed stored hash %j never verifies and never throws',
    async (stored) => {
      expect(await verifySecret('anything', stored)).toBe(false);
    },
  );

  test('generated secrets are 256-bit url-safe strings', () => {
    expect(generateSecret()).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe('key sealing', () => {
  test('round-trips with the secret, fails loudly without it or with another', () => {
    const sealed = seal('{"kty":"RSA","d":"private"}', 'operator secret');
    expect(isSealed(sealed)).toBe(true);
    expect(sealed).not.toContain('private');
    expect(unseal(sealed, 'operator secret')).toBe('{"kty":"RSA","d":"private"}');
    expect(() => unseal(sealed, undefined)).toThrow(/no key encryption secret/);
    expect(() => unseal(sealed, 'another')).toThrow();
    expect(seal('plain', undefined)).toBe('plain');
  });
});
