/**
 * Brute-force protection: after a burst of failures the token endpoint and the sign-in page refuse
 * every attempt, the right secret or password included, with 429 and Retry-After.
 * Each test gets its own hub: the limiter keeps per-IP buckets and every request comes from 127.0.0.1.
 */
import * as oidc from 'openid-client';
import { afterEach, describe, expect, test } from 'vitest';
import { addUser, createClient } from '../src/auth/index.ts';
import { APP_REDIRECT, browse, createListeningHub, discover, oauthErrorOf, registerApp, type ListeningHub } from './auth-fixture.ts';

const PASSWORD = 'a long enough passphrase';
let hub: ListeningHub | undefined;
afterEach(async () => {
  await hub?.close();
  hub = undefined;
});

describe('brute-force protection', () => {
  test('token endpoint: the right secret is refused (429, Retry-After) after a burst of wrong ones', async () => {
    hub = await createListeningHub({ auth: { bruteForceBurst: 3, bruteForceRefillSeconds: 60 } });
    const { client, secret } = await createClient(hub.db.sql, { name: 'target', scope: 'system/Patient.rs' });
    const wrong = await discover(hub, client.clientId, oidc.ClientSecretBasic('guess'));
    for (let i = 0; i < 3; i += 1) expect(await oauthErrorOf(oidc.clientCredentialsGrant(wrong))).toBe('invalid_client');
    const response = await fetch(`${hub.url}oauth2/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${client.clientId}:${secret}`).toString('base64')}`,
      },
      body: 'grant_type=client_credentials',
    });
    expect(response.status).toBe(429);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await response.json()) as { error: string }).error).toBe('temporarily_unavailable');
    expect(hub.auth.counters.rateLimited).toBeGreaterThan(0);
  });

  test('per client: a client whose budget is spent is refused by the authorization server itself', async () => {
    hub = await createListeningHub({ auth: { bruteForceBurst: 3, bruteForceRefillSeconds: 60 } });
    const { client, secret } = await createClient(hub.db.sql, { name: 'target', scope: 'system/Patient.rs' });
    const other = await createClient(hub.db.sql, { name: 'bystander', scope: 'system/Patient.rs' });
    for (let i = 0; i < 3; i += 1) hub.auth.limiter.fail([`client:${client.clientId}`]);
    const refused = await fetch(`${hub.url}oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: secret as string }),
    });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('60');
    const bystander = await oidc.clientCredentialsGrant(await discover(hub, other.client.clientId, oidc.ClientSecretPost(other.secret as string)));
    expect(bystander.access_token).toBeTruthy();
  });

  test('sign-in page: the right password is refused after a burst of wrong ones', async () => {
    hub = await createListeningHub({ auth: { bruteForceBurst: 3, bruteForceRefillSeconds: 60 } });
    const practitioner = (await hub.request('POST', '/fhir/R4/Practitioner', { resourceType: 'Practitioner' })).body.id;
    await addUser(hub.db.sql, { username: 'ana', password: PASSWORD, fhirUser: `Practitioner/${practitioner}` });
    const app = await registerApp(hub, 'openid user/*.rs');
    const config = await discover(hub, app, oidc.None());
    const attempt = async (password: string) => {
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: APP_REDIRECT,
        scope: 'openid user/*.rs',
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
      });
      return browse(url, { username: 'ana', password });
    };
    for (let i = 0; i < 3; i += 1) expect((await attempt('not the password')).pages.afterPostStatus).toBe(401);
    const blocked = await attempt(PASSWORD);
    expect(blocked.callback).toBeUndefined();
    expect(blocked.pages.afterPostStatus).toBe(429);
    expect(blocked.pages.afterPost).toContain('Too many failed attempts');
  });
});
