import { PermanentError } from '@simpul/infra';
import { describe, expect, test } from 'vitest';
import { RetryableDeliveryError } from '../routing/destination-driver.ts';
import { readTokenBody } from './token-cache.ts';

describe('readTokenBody', () => {
  test('reads the string-valued Apigee body', () => {
    const body = JSON.stringify({ token_type: 'BearerToken', issued_at: '1671109805593', access_token: 'k8JIDROZHfXjmUcQJE62lMqQwlLU', expires_in: '3599', refresh_count: '0' });
    expect(readTokenBody(body)).toEqual({ accessToken: 'k8JIDROZHfXjmUcQJE62lMqQwlLU', expiresInSeconds: 3599, issuedAt: 1671109805593 });
  });

  test('accepts numbers and a standard Bearer type', () => {
    expect(readTokenBody('{"access_token":"abc","token_type":"Bearer","expires_in":14399}')).toEqual({ accessToken: 'abc', expiresInSeconds: 14399 });
  });

  test('a body without a usable expires_in gives a token for this delivery only', () => {
    expect(readTokenBody('{"access_token":"abc","expires_in":"soon"}').expiresInSeconds).toBe(0);
  });

  test('refuses bodies that are not tokens', () => {
    expect(() => readTokenBody('<html>maintenance</html>')).toThrow(RetryableDeliveryError);
    expect(() => readTokenBody('null')).toThrow(RetryableDeliveryError);
    expect(() => readTokenBody('{"access_token":""}')).toThrow(/without an access_token/);
    expect(() => readTokenBody('{"access_token":"abc","token_type":"mac"}')).toThrow(PermanentError);
  });
});
