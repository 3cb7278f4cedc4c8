/**
 * People signing in: the authorization code flow with PKCE through the hub's own sign-in page over
 * real HTTP (openid-client as the app), SMART launch context, refresh tokens, revocation, the
 * /auth/me profile MedplumClient reads, and tokens that must be refused.
 */
import { ClientStorage, MedplumClient, MemoryStorage } from '@medplum/core';
import { generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { addUser, createClient } from '../src/auth/index.ts';
import { APP_REDIRECT, browse, claimsOf, createListeningHub, discover, fhir, oauthErrorOf, registerApp, signIn, type ListeningHub } from './auth-fixture.ts';

const PASSWORD = 'a long enough passphrase';
let hub: ListeningHub;
let practitionerId: string;
let patientA: string;
let patientB: string;

beforeAll(async () => {
  hub = await createListeningHub();
  practitionerId = (await hub.request('POST', '/fhir/R4/Practitioner', { resourceType: 'Practitioner', name: [{ family: 'Wijaya', given: ['Ana'] }] })).body.id;
  patientA = (await hub.request('POST', '/fhir/R4/Patient', { resourceType: 'Patient', name: [{ family: 'Santoso' }] })).body.id;
  patientB = (await hub.request('POST', '/fhir/R4/Patient', { resourceType: 'Patient', name: [{ family: 'Lestari' }] })).body.id;
  await addUser(hub.db.sql, { username: 'ana', password: PASSWORD, fhirUser: `Practitioner/${practitionerId}` });
  await addUser(hub.db.sql, { username: 'budi', password: PASSWORD, fhirUser: `Patient/${patientA}` });
});
afterAll(async () => {
  await hub?.close();
});

describe('authorization code + PKCE through the sign-in page', () => {
  test('a practitioner signs in; tokens carry fhirUser and login_id; the refresh token works', async () => {
    const app = await registerApp(hub, 'openid fhirUser offline_access user/*.*');
    const tokens = await signIn(hub, app, { username: 'ana', password: PASSWORD, scope: 'openid fhirUser offline_access user/*.rs', params: { aud: hub.fhirBase } });
    const access = claimsOf(tokens.access_token);
    expect(access).toMatchObject({ scope: 'user/*.rs', client_id: app, aud: hub.fhirBase, fhirUser: `${hub.fhirBase}/Practitioner/${practitionerId}` });
    expect(typeof access.login_id).toBe('string');
    expect(tokens.scope?.split(' ')).toEqual(expect.arrayContaining(['user/*.rs', 'openid', 'fhirUser', 'offline_access']));
    expect(tokens.claims()?.fhirUser).toBe(`${hub.fhirBase}/Practitioner/${practitionerId}`);
    expect(tokens.refresh_token).toBeTruthy();
    expect((await fhir(hub, 'GET', `Patient/${patientB}`, tokens.access_token)).status).toBe(200);
    expect((await fhir(hub, 'POST', 'Patient', tokens.access_token, { resourceType: 'Patient' })).status).toBe(403);

    const refreshed = await oidc.refreshTokenGrant(await discover(hub, app, oidc.None()), tokens.refresh_token as string);
    expect(claimsOf(refreshed.access_token).login_id).toBe(access.login_id);
    expect((await fhir(hub, 'GET', `Patient/${patientA}`, refreshed.access_token)).status).toBe(200);
  });

  test('launch/patient: the practitioner picks the patient; token response and token carry it', async () => {
    const app = await registerApp(hub, 'openid fhirUser launch/patient patient/*.rs');
    const tokens = await signIn(hub, app, { username: 'ana', password: PASSWORD, scope: 'openid fhirUser launch/patient patient/*.rs', patient: patientA });
    expect(tokens.patient).toBe(patientA);
    expect(claimsOf(tokens.access_token).patient).toBe(patientA);
    expect((await fhir(hub, 'GET', `Patient/${patientA}`, tokens.access_token)).status).toBe(200);
    expect((await fhir(hub, 'GET', `Patient/${patientB}`, tokens.access_token)).status).toBe(404);
  });

  test('an unknown patient keeps the person on the page with the reason', async () => {
    const app = await registerApp(hub, 'openid launch/patient patient/*.rs');
    const config = await discover(hub, app, oidc.None());
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: APP_REDIRECT,
      scope: 'openid launch/patient patient/*.rs',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    const { callback, pages } = await browse(url, { username: 'ana', password: PASSWORD, patient: 'no-such-patient' });
    expect(callback).toBeUndefined();
    expect(pages.afterPostStatus).toBe(400);
    expect(pages.afterPost).toContain('There is no Patient with id');
  });

  test('a signed-in Patient gets their own id as context, whatever scopes the app asks for', async () => {
    const app = await registerApp(hub, 'openid fhirUser user/*.rs');
    const tokens = await signIn(hub, app, { username: 'budi', password: PASSWORD, scope: 'openid fhirUser user/*.rs' });
    expect(claimsOf(tokens.access_token)).toMatchObject({ patient: patientA, fhirUser: `${hub.fhirBase}/Patient/${patientA}` });
    expect((await fhir(hub, 'GET', `Patient/${patientA}`, tokens.access_token)).status).toBe(200);
    expect((await fhir(hub, 'GET', `Patient/${patientB}`, tokens.access_token)).status).toBe(404);
    expect((await fhir(hub, 'GET', `Practitioner/${practitionerId}`, tokens.access_token)).status).toBe(403);
  });

  test('PKCE is required, S256 only', async () => {
    const app = await registerApp(hub, 'openid user/*.rs');
    const base = { client_id: app, response_type: 'code', redirect_uri: APP_REDIRECT, scope: 'openid user/*.rs', state: 'x' };
    for (const extra of [{}, { code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' }]) {
      const query = new URLSearchParams({ ...base, ...(extra as Record<string, string>) });
      const response = await fetch(`${hub.url}oauth2/authorize?${query}`, { redirect: 'manual' });
      const location = new URL(response.headers.get('location') as string);
      expect(location.origin + location.pathname).toBe(APP_REDIRECT);
      expect(location.searchParams.get('error')).toBe('invalid_request');
    }
  });

  test('aud must name this hub\'s FHIR base', async () => {
    const app = await registerApp(hub, 'openid user/*.rs');
    const config = await discover(hub, app, oidc.None());
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: APP_REDIRECT,
      scope: 'openid user/*.rs',
      aud: 'https://other.example/fhir',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    const location = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location') as string);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('error_description')).toContain(hub.fhirBase);
  });

  test('a wrong password stays on the page (401, text escaped); cancelling gives the app access_denied', async () => {
    const app = await registerApp(hub, 'openid user/*.rs');
    const config = await discover(hub, app, oidc.None());
    const url = () =>
      oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()).then((challenge) =>
        oidc.buildAuthorizationUrl(config, { redirect_uri: APP_REDIRECT, scope: 'openid user/*.rs', code_challenge: challenge, code_challenge_method: 'S256' }),
      );
    const wrong = await browse(await url(), { username: '<script>alert(1)</script>', password: 'nope' });
    expect(wrong.pages.loginStatus).toBe(200);
    expect(wrong.pages.loginPage).toContain('Test app');
    expect(wrong.pages.afterPostStatus).toBe(401);
    expect(wrong.pages.afterPost).toContain('Wrong username or password');
    expect(wrong.pages.afterPost).not.toContain('<script>alert(1)</script>');
    const cancelled = await browse(await url(), { username: 'ana', password: PASSWORD }, 'cancel');
    expect(cancelled.callback?.searchParams.get('error')).toBe('access_denied');
    expect(cancelled.callback?.searchParams.get('code')).toBeNull();
  });

  test('revoking the refresh token ends the whole grant: its access tokens are refused', async () => {
    const app = await registerApp(hub, 'openid offline_access user/*.rs');
    const tokens = await signIn(hub, app, { username: 'ana', password: PASSWORD, scope: 'openid offline_access user/*.rs' });
    const config = await discover(hub, app, oidc.None());
    expect((await fhir(hub, 'GET', `Patient/${patientA}`, tokens.access_token)).status).toBe(200);
    await oidc.tokenRevocation(config, tokens.refresh_token as string);
    expect((await fhir(hub, 'GET', `Patient/${patientA}`, tokens.access_token)).status).toBe(401);
    expect(await oauthErrorOf(oidc.refreshTokenGrant(config, tokens.refresh_token as string))).toBe('invalid_grant');
  });
});

describe('MedplumClient against the hub', () => {
  test('a viewer completes the code flow with MedplumClient and reads its profile from /auth/me', async () => {
    const app = await registerApp(hub, 'openid fhirUser offline_access user/*.*', 'Viewer');
    const verifier = oidc.randomPKCECodeVerifier();
    const config = await discover(hub, app, oidc.None());
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: APP_REDIRECT,
      scope: 'openid fhirUser offline_access user/*.*',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const { callback } = await browse(url, { username: 'ana', password: PASSWORD });
    const storage = new ClientStorage(new MemoryStorage());
    storage.setString('codeVerifier', verifier);
    const medplum = new MedplumClient({ baseUrl: hub.url, clientId: app, storage, fetch: globalThis.fetch });
    const profile = await medplum.processCode(callback?.searchParams.get('code') as string, { clientId: app, redirectUri: APP_REDIRECT });
    expect(profile).toMatchObject({ resourceType: 'Practitioner', id: practitionerId });
    expect(medplum.getProject()?.id).toBe('simpul');
    expect(medplum.getProjectMembership()?.profile?.reference).toBe(`Practitioner/${practitionerId}`);
    expect((await medplum.readResource('Patient', patientA)).id).toBe(patientA);
  });

  test('a Medplum-style bot signs in with client credentials (secret in the form body)', async () => {
    const { client, secret } = await createClient(hub.db.sql, { name: 'bot', scope: 'system/Patient.rs' });
    const medplum = new MedplumClient({ baseUrl: hub.url, fetch: globalThis.fetch, storage: new ClientStorage(new MemoryStorage()) });
    await medplum.startClientLogin(client.clientId, secret as string);
    expect((await medplum.readResource('Patient', patientB)).id).toBe(patientB);
  });

  test('/auth/me answers 401 without a token', async () => {
    const response = await fetch(`${hub.url}auth/me`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="simpul"');
  });
});

describe('tokens the FHIR API refuses', () => {
  async function realClaims(): Promise<Record<string, unknown>> {
    return claimsOf(await hub.serviceToken('system/*.rs'));
  }

  async function signWithHubKey(claims: Record<string, unknown>): Promise<string> {
    const jwk = hub.auth.keyRing.providerJwks().keys.find((k) => k.alg === 'RS256') as JWK;
    return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: jwk.kid }).sign(await importJWK(jwk, 'RS256'));
  }

  const refused = async (token: string, reason: RegExp) => {
    const response = await fhir(hub, 'GET', `Patient/${patientA}`, token);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(response.body.issue[0].details.text).toMatch(reason);
  };

  test('expired', async () => {
    const now = Math.floor(Date.now() / 1000);
    await refused(await signWithHubKey({ ...(await realClaims()), iat: now - 7200, exp: now - 3600 }), /expired/);
  });

  test('tampered (scope widened after signing)', async () => {
    const token = await hub.serviceToken('system/Observation.rs');
    const [h, , s] = token.split('.');
    const widened = Buffer.from(JSON.stringify({ ...claimsOf(token), scope: 'system/*.*' })).toString('base64url');
    await refused(`${h}.${widened}.${s}`, /signature/);
  });

  test('for another audience, or from another issuer, even when signed by the hub key', async () => {
    await refused(await signWithHubKey({ ...(await realClaims()), aud: 'https://other.example/fhir' }), /aud/);
    await refused(await signWithHubKey({ ...(await realClaims()), iss: 'https://evil.example/' }), /iss/);
  });

  test('signed by a stranger key claiming the hub key id, or unsigned', async () => {
    const kid = hub.auth.keyRing.providerJwks().keys[0].kid;
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT(await realClaims()).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid }).sign(privateKey);
    await refused(forged, /signature|key/);
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${Buffer.from(JSON.stringify(await realClaims())).toString('base64url')}.`;
    await refused(unsigned, /algorithm|not a valid|not signed/);
  });

  test('an id token or other JWT type is not an access token', async () => {
    await refused(await new SignJWT(await realClaims())
      .setProtectedHeader({ alg: 'RS256', kid: hub.auth.keyRing.providerJwks().keys.find((k) => k.alg === 'RS256')?.kid })
      .sign(await importJWK(hub.auth.keyRing.providerJwks().keys.find((k) => k.alg === 'RS256') as JWK, 'RS256')), /typ|not a valid/);
  });

  test('garbage in the Authorization header is 401, never 500', async () => {
    for (const header of ['Bearer', 'Bearer not.a.jwt', `Bearer ${'x'.repeat(5000)}`, 'Basic dXNlcjpwYXNz', 'Bearer a.b.c.d']) {
      const response = await fetch(`${hub.fhirBase}/Patient`, { headers: { authorization: header } });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="simpul"/);
    }
  });
});
