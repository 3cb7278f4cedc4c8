/**
 * The authorization server over real HTTP, driven by openid-client: discovery documents, client
 * credentials with a secret and with private_key_jwt (registered JWKS and JWKS URL), scope handling,
 * introspection, revocation, disabled clients, key rotation.
 */
import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createClient, disableClient, rotateSigningKeys } from '../src/auth/index.ts';
import { claimsOf, createListeningHub, discover, fhir, freePort, getJson, oauthErrorOf, type ListeningHub } from './auth-fixture.ts';

let hub: ListeningHub;
beforeAll(async () => {
  hub = await createListeningHub({ auth: { keyRefreshMs: 100, allowPrivateJwksUrls: true } });
});
afterAll(async () => {
  await hub?.close();
});

async function serviceClient(scope: string): Promise<{ clientId: string; secret: string }> {
  const { client, secret } = await createClient(hub.db.sql, { name: 'service', scope });
  return { clientId: client.clientId, secret: secret as string };
}

describe('discovery', () => {
  test('SMART configuration, OpenID configuration and JWKS are public and consistent', async () => {
    const smart = await getJson(`${hub.url}.well-known/smart-configuration`);
    expect(smart.token_endpoint).toBe(`${hub.url}oauth2/token`);
    expect(smart.authorization_endpoint).toBe(`${hub.url}oauth2/authorize`);
    expect(smart.code_challenge_methods_supported).toEqual(['S256']);
    expect(smart.capabilities).toEqual(expect.arrayContaining(['launch-standalone', 'client-confidential-asymmetric', 'permission-v1', 'permission-v2', 'context-standalone-patient']));
    expect(smart.capabilities).not.toContain('launch-ehr');
    const openid = await getJson(`${hub.url}.well-known/openid-configuration`);
    expect(openid.issuer).toBe(hub.url);
    expect(openid.token_endpoint).toBe(smart.token_endpoint);
    expect(openid.jwks_uri).toBe(`${hub.url}oauth2/jwks`);
    expect(openid.token_endpoint_auth_methods_supported).not.toContain('client_secret_jwt');
    const jwks = await getJson(openid.jwks_uri);
    expect(jwks.keys.map((k: { alg: string }) => k.alg).sort()).toEqual(['ES256', 'RS256']);
    expect(jwks.keys.some((k: Record<string, unknown>) => 'd' in k || 'p' in k)).toBe(false);
  });

  test('the CapabilityStatement is public and names the SMART service and OAuth endpoints', async () => {
    const metadata = await fhir(hub, 'GET', 'metadata', undefined);
    expect(metadata.status).toBe(200);
    const security = metadata.body.rest[0].security;
    expect(security.service[0].coding[0].code).toBe('SMART-on-FHIR');
    const uris = security.extension[0].extension as { url: string; valueUri: string }[];
    expect(uris.find((e) => e.url === 'token')?.valueUri).toBe(`${hub.url}oauth2/token`);
    expect(uris.find((e) => e.url === 'authorize')?.valueUri).toBe(`${hub.url}oauth2/authorize`);
  });
});

describe('client credentials with a secret', () => {
  test('basic and post authentication; the JWT carries the granted scope, client and audience', async () => {
    const { clientId, secret } = await serviceClient('system/Observation.rs system/Patient.cruds');
    for (const auth of [oidc.ClientSecretBasic(secret), oidc.ClientSecretPost(secret)]) {
      const config = await discover(hub, clientId, auth);
      const tokens = await oidc.clientCredentialsGrant(config, { scope: 'system/Observation.rs' });
      expect(tokens.scope).toBe('system/Observation.rs');
      const claims = claimsOf(tokens.access_token);
      expect(claims).toMatchObject({ scope: 'system/Observation.rs', client_id: clientId, sub: clientId, iss: hub.url, aud: hub.fhirBase });
      expect(claims.login_id).toBeUndefined();
      expect((claims.exp as number) - (claims.iat as number)).toBe(3600);
    }
  });

  test('without a scope a service gets everything it is registered for (what MedplumClient bots send)', async () => {
    const { clientId, secret } = await serviceClient('system/Observation.rs system/Patient.r');
    const tokens = await oidc.clientCredentialsGrant(await discover(hub, clientId, oidc.ClientSecretBasic(secret)));
    expect(tokens.scope?.split(' ').sort()).toEqual(['system/Observation.rs', 'system/Patient.r']);
  });

  test('scopes beyond the registration are dropped, and none granted is invalid_scope', async () => {
    const { clientId, secret } = await serviceClient('system/Observation.rs');
    const config = await discover(hub, clientId, oidc.ClientSecretBasic(secret));
    const tokens = await oidc.clientCredentialsGrant(config, { scope: 'system/Observation.rs system/Observation.cud system/*.* user/*.* admin' });
    expect(tokens.scope).toBe('system/Observation.rs');
    expect(await oauthErrorOf(oidc.clientCredentialsGrant(config, { scope: 'system/Patient.rs' }))).toBe('invalid_scope');
  });

  test('a wrong secret is invalid_client', async () => {
    const { clientId } = await serviceClient('system/Observation.rs');
    const config = await discover(hub, clientId, oidc.ClientSecretBasic('not-the-secret'));
    expect(await oauthErrorOf(oidc.clientCredentialsGrant(config))).toBe('invalid_client');
  });
});

describe('SMART Backend Services: private_key_jwt', () => {
  let jwksServer: Server;
  let jwksUrl: string;
  let servedJwks: unknown = { keys: [] };
  beforeAll(async () => {
    const port = await freePort();
    jwksServer = createServer((_req, res) => res.setHeader('content-type', 'application/json').end(JSON.stringify(servedJwks)));
    await new Promise<void>((resolve) => jwksServer.listen(port, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${port}/jwks.json`;
  });
  afterAll(async () => {
    await new Promise((resolve) => jwksServer.close(resolve));
  });

  async function keyPair(alg: 'RS384' | 'ES384', kid: string) {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    return { privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
  }

  test('a client with a registered JWKS signs its assertion with RS384', async () => {
    const { privateKey, publicJwk } = await keyPair('RS384', 'rs384-1');
    const { client } = await createClient(hub.db.sql, { name: 'backend', scope: 'system/*.rs', jwks: { keys: [publicJwk as never] } });
    expect(client.authMethod).toBe('private_key_jwt');
    const config = await discover(hub, client.clientId, oidc.PrivateKeyJwt({ key: privateKey, kid: 'rs384-1' }));
    const tokens = await oidc.clientCredentialsGrant(config, { scope: 'system/*.rs' });
    expect(claimsOf(tokens.access_token)).toMatchObject({ client_id: client.clientId, scope: 'system/*.rs' });
    expect((await fhir(hub, 'GET', 'Patient', tokens.access_token)).status).toBe(200);
  });

  test('a client with a JWKS URL signs with ES384; a key it did not publish is refused', async () => {
    const { privateKey, publicJwk } = await keyPair('ES384', 'es384-1');
    servedJwks = { keys: [publicJwk] };
    const { client } = await createClient(hub.db.sql, { name: 'backend url', scope: 'system/Observation.rs', jwksUri: jwksUrl });
    const config = await discover(hub, client.clientId, oidc.PrivateKeyJwt({ key: privateKey, kid: 'es384-1' }));
    const tokens = await oidc.clientCredentialsGrant(config);
    expect(claimsOf(tokens.access_token).scope).toBe('system/Observation.rs');
    const stranger = await keyPair('ES384', 'es384-1');
    const forged = await discover(hub, client.clientId, oidc.PrivateKeyJwt({ key: stranger.privateKey, kid: 'es384-1' }));
    expect(await oauthErrorOf(oidc.clientCredentialsGrant(forged))).toBe('invalid_client');
  });

  test('a replayed client assertion is refused', async () => {
    const { privateKey, publicJwk } = await keyPair('RS384', 'rs384-replay');
    const { client } = await createClient(hub.db.sql, { name: 'replay', scope: 'system/*.rs', jwks: { keys: [publicJwk as never] } });
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS384', kid: 'rs384-replay' })
      .setIssuer(client.clientId)
      .setSubject(client.clientId)
      .setAudience(`${hub.url}oauth2/token`)
      .setJti('same-jti-twice')
      .setIssuedAt()
      .setExpirationTime('4m')
      .sign(privateKey);
    const post = () =>
      fetch(`${hub.url}oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion }),
      });
    expect((await post()).status).toBe(200);
    const second = await post();
    expect(second.status).toBe(401);
    expect(((await second.json()) as any).error).toBe('invalid_client');
  });
});

describe('introspection and revocation', () => {
  test('introspection reports an active JWT with its claims, and a tampered one as inactive', async () => {
    const { clientId, secret } = await serviceClient('system/Observation.rs');
    const config = await discover(hub, clientId, oidc.ClientSecretBasic(secret));
    const { access_token: token } = await oidc.clientCredentialsGrant(config);
    const active = await oidc.tokenIntrospection(config, token);
    expect(active).toMatchObject({ active: true, scope: 'system/Observation.rs', client_id: clientId, aud: hub.fhirBase });
    const [h, p, s] = token.split('.');
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claimsOf(token), scope: 'system/*.*' })).toString('base64url')}.${s}`;
    expect(p).not.toBe(tampered.split('.')[1]);
    expect(await oidc.tokenIntrospection(config, tampered)).toEqual({ active: false });
  });

  test('a revoked access token is refused by the FHIR API and inactive at introspection', async () => {
    const { clientId, secret } = await serviceClient('system/Observation.rs');
    const config = await discover(hub, clientId, oidc.ClientSecretBasic(secret));
    const { access_token: token } = await oidc.clientCredentialsGrant(config);
    expect((await fhir(hub, 'GET', 'Observation', token)).status).toBe(200);
    await oidc.tokenRevocation(config, token);
    const refused = await fhir(hub, 'GET', 'Observation', token);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(refused.body.issue[0].details.text).toContain('revoked');
    expect((await oidc.tokenIntrospection(config, token)).active).toBe(false);
  });

  test("another confidential client cannot revoke someone else's token", async () => {
    const owner = await serviceClient('system/Observation.rs');
    const other = await serviceClient('system/Observation.rs');
    const { access_token: token } = await oidc.clientCredentialsGrant(await discover(hub, owner.clientId, oidc.ClientSecretBasic(owner.secret)));
    expect(await oauthErrorOf(oidc.tokenRevocation(await discover(hub, other.clientId, oidc.ClientSecretBasic(other.secret)), token))).toBe('invalid_request');
    expect((await fhir(hub, 'GET', 'Observation', token)).status).toBe(200);
  });

  test('disabling a client refuses its live tokens and any new token request', async () => {
    const { clientId, secret } = await serviceClient('system/Observation.rs');
    const config = await discover(hub, clientId, oidc.ClientSecretBasic(secret));
    const { access_token: token } = await oidc.clientCredentialsGrant(config);
    await disableClient(hub.db.sql, clientId, 3600);
    await hub.auth.revocations.refresh();
    expect((await fhir(hub, 'GET', 'Observation', token)).status).toBe(401);
    expect(await oauthErrorOf(oidc.clientCredentialsGrant(config))).toBe('invalid_client');
  });
});

describe('admin API', () => {
  test('needs a token with the admin scope', async () => {
    const plain = await hub.serviceToken('system/*.*');
    const noToken = await fetch(`${hub.url}admin/messages`);
    expect(noToken.status).toBe(401);
    expect(noToken.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const notAdmin = await fetch(`${hub.url}admin/messages`, { headers: { authorization: `Bearer ${plain}` } });
    expect(notAdmin.status).toBe(403);
    expect(((await notAdmin.json()) as any).issue[0].details.coding[0].code).toBe('SIMPUL-AUTH-003');
    const admin = await fetch(`${hub.url}admin/messages`, { headers: { authorization: `Bearer ${hub.adminToken}` } });
    expect(admin.status).toBe(200);
  });
});

describe('signing key rotation', () => {
  test('new tokens use the new key; tokens signed before keep working; both keys are published', async () => {
    const { clientId, secret } = await serviceClient('system/Observation.rs');
    const config = await discover(hub, clientId, oidc.ClientSecretBasic(secret));
    const before = (await oidc.clientCredentialsGrant(config)).access_token;
    const oldKid = JSON.parse(Buffer.from(before.split('.')[0], 'base64url').toString()).kid;
    const { created, retired } = await rotateSigningKeys(hub.db.sql);
    expect(retired).toContain(oldKid);
    let after = before;
    const deadline = Date.now() + 10_000;
    while (JSON.parse(Buffer.from(after.split('.')[0], 'base64url').toString()).kid === oldKid) {
      if (Date.now() > deadline) throw new Error('the hub did not pick up the rotated keys');
      await new Promise((resolve) => setTimeout(resolve, 100));
      after = (await oidc.clientCredentialsGrant(config)).access_token;
    }
    expect(created).toContain(JSON.parse(Buffer.from(after.split('.')[0], 'base64url').toString()).kid);
    expect((await fhir(hub, 'GET', 'Observation', before)).status).toBe(200);
    expect((await fhir(hub, 'GET', 'Observation', after)).status).toBe(200);
    const kids = (await getJson(`${hub.url}oauth2/jwks`)).keys.map((k: { kid: string }) => k.kid);
    expect(kids).toEqual(expect.arrayContaining([oldKid, ...created]));
  });
});
