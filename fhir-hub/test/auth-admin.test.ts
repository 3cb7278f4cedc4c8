/**
 * What the CLI's admin verbs rely on: the first admin client, client and user management with
 * hostile input, disabling people, secrets stored hashed, signing keys sealed at rest.
 */
import pino from 'pino';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { addUser, AuthInputError, createClient, disableUser, ensureAdminClient, ensureViewerClient, listClients, listUsers } from '../src/auth/index.ts';
import { createListeningHub, discover, fhir, registerApp, signIn, type ListeningHub } from './auth-fixture.ts';
import { createTestHub } from './support/test-hub.ts';

const PASSWORD = 'a long enough passphrase';
let hub: ListeningHub;
let practitioner: string;

beforeAll(async () => {
  hub = await createListeningHub();
  practitioner = (await hub.request('POST', '/fhir/R4/Practitioner', { resourceType: 'Practitioner' })).body.id;
});
afterAll(async () => {
  await hub?.close();
});

describe('the viewer client', () => {
  test('is registered once per viewer address, as a public app with PKCE and read-only person scopes', async () => {
    const logger = pino({ level: 'silent' });
    const first = await ensureViewerClient(hub.db.sql, 'https://simpul.rs.example/', logger);
    const [again, twin] = await Promise.all([
      ensureViewerClient(hub.db.sql, 'https://simpul.rs.example/', logger),
      ensureViewerClient(hub.db.sql, 'https://simpul.rs.example', logger),
    ]);
    expect(first.created).toBe(true);
    expect([again, twin]).toEqual([{ clientId: first.clientId, created: false }, { clientId: first.clientId, created: false }]);
    const [row] = await hub.db.sql<{ auth_method: string; redirect_uris: string[]; scope: string; grant_types: string[]; is_admin: boolean }[]>`
      SELECT auth_method, redirect_uris, scope, grant_types, is_admin FROM auth_client WHERE client_id = ${first.clientId}`;
    expect(row).toEqual({
      auth_method: 'none',
      redirect_uris: ['https://simpul.rs.example/app/'],
      scope: 'openid fhirUser offline_access user/*.rs',
      grant_types: ['authorization_code', 'refresh_token'],
      is_admin: false,
    });
  });
});

describe('the first admin client', () => {
  test('is generated once, printed once, and not again', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    const again = await ensureAdminClient(hub.db.sql, {}, logger);
    expect(again.created).toBe(false);
    expect(again.secret).toBeUndefined();
    expect(lines.join('')).not.toContain('client_secret=');
    const [row] = await hub.db.sql<{ secret_hash: string }[]>`SELECT secret_hash FROM auth_client WHERE client_id = ${again.clientId}`;
    expect(row.secret_hash).toMatch(/^scrypt\$/);
  });

  test('configured credentials create that client, follow a changed secret, and must come in pairs', async () => {
    const logger = pino({ level: 'silent' });
    const first = await ensureAdminClient(hub.db.sql, { clientId: 'ops-admin', clientSecret: 'first secret value' }, logger);
    expect(first).toEqual({ clientId: 'ops-admin', created: true });
    await ensureAdminClient(hub.db.sql, { clientId: 'ops-admin', clientSecret: 'second secret value' }, logger);
    const config = await discover(hub, 'ops-admin', oidc.ClientSecretBasic('second secret value'));
    const tokens = await oidc.clientCredentialsGrant(config);
    expect(tokens.scope?.split(' ').sort()).toEqual(['admin', 'system/*.*']);
    await expect(ensureAdminClient(hub.db.sql, { clientId: 'ops-admin' }, logger)).rejects.toThrow(AuthInputError);
  });
});

describe('client registration refuses what it cannot honour', () => {
  test.each([
    [{ name: '', scope: 'system/*.rs' }, /name/],
    [{ name: 'x', scope: '' }, /at least one scope/],
    [{ name: 'x', scope: 'system/*.rs patient/Observation.hack' }, /not a scope the hub knows/],
    [{ name: 'x', scope: 'user/*.rs' }, /services get system/],
    [{ name: 'x', scope: 'openid system/*.rs' }, /for apps/],
    [{ name: 'x', scope: 'system/*.rs', redirectUris: ['https://app.example/cb'] }, /apps get patient/],
    [{ name: 'x', scope: 'user/*.rs', redirectUris: ['http://evil.example/cb'] }, /must be https/],
    [{ name: 'x', scope: 'user/*.rs', redirectUris: ['https://app.example/cb#frag'] }, /fragment/],
    [{ name: 'x', scope: 'user/*.rs', redirectUris: ['not a url'] }, /absolute URL/],
    [{ name: 'x', scope: 'system/*.rs', public: true }, /public client must be an app/],
    [{ name: 'x', scope: 'system/*.rs', jwksUri: 'http://keys.example/jwks' }, /https/],
    [{ name: 'x', scope: 'system/*.rs', jwks: { keys: [{ kty: 'RSA', n: 'x', e: 'AQAB', d: 'secret' }] } }, /public keys only/],
    [{ name: 'x', scope: 'system/*.rs', jwks: { keys: [] } }, /non-empty/],
    [{ name: 'x', scope: 'system/*.rs', clientId: "x'; DROP TABLE auth_client; --" }, /client id/],
  ])('%j', async (input, message) => {
    await expect(createClient(hub.db.sql, input as never)).rejects.toThrow(message);
  });

  test('listing never shows secrets', async () => {
    await createClient(hub.db.sql, { name: 'listed', scope: 'system/Patient.rs' });
    const clients = await listClients(hub.db.sql);
    expect(clients.some((c) => c.name === 'listed')).toBe(true);
    expect(JSON.stringify(clients)).not.toContain('scrypt$');
  });
});

describe('users', () => {
  test.each([
    [{ username: 'Bad Name!', password: PASSWORD, fhirUser: 'Practitioner/x' }, /username/],
    [{ username: 'short', password: 'short', fhirUser: 'Practitioner/x' }, /password/],
    [{ username: 'org', password: PASSWORD, fhirUser: 'Organization/x' }, /Practitioner\/<id> or Patient\/<id>/],
    [{ username: 'ghost', password: PASSWORD, fhirUser: 'Practitioner/does-not-exist' }, /does not exist/],
  ])('%j is refused', async (input, message) => {
    await expect(addUser(hub.db.sql, input)).rejects.toThrow(message);
  });

  test('usernames are case-insensitive and unique; passwords are stored hashed', async () => {
    await addUser(hub.db.sql, { username: 'Dewi', password: PASSWORD, fhirUser: `Practitioner/${practitioner}` });
    await expect(addUser(hub.db.sql, { username: 'dewi', password: PASSWORD, fhirUser: `Practitioner/${practitioner}` })).rejects.toThrow(/already exists/);
    const [row] = await hub.db.sql<{ password_hash: string }[]>`SELECT password_hash FROM auth_user WHERE username = 'dewi'`;
    expect(row.password_hash).toMatch(/^scrypt\$15\$/);
    expect((await listUsers(hub.db.sql)).map((u) => u.username)).toContain('dewi');
  });

  test('disabling a user refuses their live tokens and their refresh token', async () => {
    await addUser(hub.db.sql, { username: 'eko', password: PASSWORD, fhirUser: `Practitioner/${practitioner}` });
    const app = await registerApp(hub, 'openid offline_access user/*.rs');
    const tokens = await signIn(hub, app, { username: 'eko', password: PASSWORD, scope: 'openid offline_access user/*.rs' });
    expect((await fhir(hub, 'GET', `Practitioner/${practitioner}`, tokens.access_token)).status).toBe(200);
    await disableUser(hub.db.sql, 'EKO', 3600);
    await hub.auth.revocations.refresh();
    expect((await fhir(hub, 'GET', `Practitioner/${practitioner}`, tokens.access_token)).status).toBe(401);
    await expect(oidc.refreshTokenGrant(await discover(hub, app, oidc.None()), tokens.refresh_token as string)).rejects.toThrow();
  });

  test('userinfo answers for a person token', async () => {
    await addUser(hub.db.sql, { username: 'fitri', password: PASSWORD, fhirUser: `Practitioner/${practitioner}` });
    const app = await registerApp(hub, 'openid fhirUser user/*.rs');
    const tokens = await signIn(hub, app, { username: 'fitri', password: PASSWORD, scope: 'openid fhirUser user/*.rs' });
    const info = await fetch(`${hub.url}oauth2/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(await info.json()).toMatchObject({ preferred_username: 'fitri', fhirUser: `${hub.fhirBase}/Practitioner/${practitioner}` });
    expect((await fetch(`${hub.url}oauth2/userinfo`, { headers: { authorization: `Bearer ${hub.adminToken}` } })).status).toBe(401);
  });
});

describe('signing keys at rest', () => {
  test('with a key encryption secret the private keys are sealed, and the hub still signs and verifies', async () => {
    const sealedHub = await createTestHub({ auth: { keyEncryptionSecret: 'operator key encryption secret' } });
    try {
      const rows = await sealedHub.db.sql<{ private_jwk: string }[]>`SELECT private_jwk FROM auth_signing_key`;
      expect(rows.length).toBe(2);
      for (const row of rows) {
        expect(row.private_jwk.startsWith('sealed:v1:')).toBe(true);
        expect(row.private_jwk).not.toContain('"d"');
      }
      expect((await sealedHub.request('GET', '/fhir/R4/Patient')).status).toBe(200);
    } finally {
      await sealedHub.close();
    }
  });
});
