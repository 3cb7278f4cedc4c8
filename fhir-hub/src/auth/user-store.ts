/**
 * People who sign in on the hub's page (table auth_user), managed by `simpul user ...`. Each one is
 * linked to the Practitioner or Patient resource they are (the SMART `fhirUser`); a Patient user is
 * confined to their own compartment whatever scopes an app asks for.
 */
import { randomUUID } from 'node:crypto';
import type { Queryable } from '../db/connect.ts';
import { AuthInputError } from './auth-errors.ts';
import { recordRevocation } from './revocations.ts';
import { hashSecret, verifySecret } from './secret-hash.ts';

export interface UserRecord {
  id: string;
  username: string;
  /** `Practitioner/<id>` or `Patient/<id>`. */
  fhirUser: string;
  createdAt: Date;
  disabledAt?: Date;
}

export interface NewUser {
  username: string;
  password: string;
  fhirUser: string;
  /** Refuse a fhirUser that names no stored resource (default true). */
  requireExistingFhirUser?: boolean;
}

interface UserRow {
  id: string;
  username: string;
  password_hash: string;
  fhir_user: string;
  created_at: Date;
  disabled_at: Date | null;
}

const USERNAME = /^[a-z0-9][a-z0-9._@-]{0,99}$/;
const FHIR_USER = /^(Practitioner|Patient)\/[A-Za-z0-9\-.]{1,64}$/;
export const MIN_PASSWORD_LENGTH = 12;
const MAX_PASSWORD_LENGTH = 1024;
/** Verified against when the username is unknown, so both cases take the same time. */
let dummyHash: Promise<string> | undefined;

export function normaliseUsername(username: string): string {
  return username.trim().toLowerCase();
}

export async function addUser(db: Queryable, input: NewUser): Promise<UserRecord> {
  const username = normaliseUsername(input.username ?? '');
  if (!USERNAME.test(username)) throw new AuthInputError('A username is 1 to 100 of a-z 0-9 . _ @ - (starting with a letter or digit)');
  if (typeof input.password !== 'string' || input.password.length < MIN_PASSWORD_LENGTH || input.password.length > MAX_PASSWORD_LENGTH) {
    throw new AuthInputError(`A password has ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`);
  }
  if (!FHIR_USER.test(input.fhirUser ?? '')) throw new AuthInputError('The user must be linked to Practitioner/<id> or Patient/<id>');
  if (input.requireExistingFhirUser !== false) {
    const [type, id] = input.fhirUser.split('/');
    const found = await db`SELECT 1 FROM resource WHERE resource_type = ${type} AND id = ${id} AND NOT deleted`;
    if (found.length === 0) throw new AuthInputError(`${input.fhirUser} does not exist in the hub: create it first`);
  }
  const rows = await db<UserRow[]>`
    INSERT INTO auth_user (id, username, password_hash, fhir_user)
    VALUES (${randomUUID()}, ${username}, ${await hashSecret(input.password)}, ${input.fhirUser})
    ON CONFLICT (username) DO NOTHING RETURNING *`;
  if (rows.length === 0) throw new AuthInputError(`A user named "${username}" already exists`);
  return toRecord(rows[0]);
}

export async function findUserById(db: Queryable, id: string): Promise<UserRecord | undefined> {
  const rows = await db<UserRow[]>`SELECT * FROM auth_user WHERE id = ${id}`;
  return rows[0] ? toRecord(rows[0]) : undefined;
}

export async function listUsers(db: Queryable): Promise<UserRecord[]> {
  return (await db<UserRow[]>`SELECT * FROM auth_user ORDER BY username`).map(toRecord);
}

/** The active user with that username and password; undefined otherwise, in constant-ish time. */
export async function verifyUserPassword(db: Queryable, username: string, password: string): Promise<UserRecord | undefined> {
  const rows = await db<UserRow[]>`SELECT * FROM auth_user WHERE username = ${normaliseUsername(username).slice(0, 200)}`;
  const row = rows[0];
  const candidate = typeof password === 'string' ? password.slice(0, MAX_PASSWORD_LENGTH) : '';
  if (!row) {
    dummyHash ??= hashSecret('simpul-no-such-user');
    await verifySecret(candidate, await dummyHash);
    return undefined;
  }
  const ok = await verifySecret(candidate, row.password_hash);
  return ok && !row.disabled_at ? toRecord(row) : undefined;
}

/** Disables a user: no new sign-in or refresh, and tokens already issued are refused. */
export async function disableUser(db: Queryable, username: string, tokenLifetimeSeconds: number): Promise<UserRecord | undefined> {
  const rows = await db<UserRow[]>`
    UPDATE auth_user SET disabled_at = COALESCE(disabled_at, now()) WHERE username = ${normaliseUsername(username)} RETURNING *`;
  if (rows.length === 0) return undefined;
  await recordRevocation(db, 'user', rows[0].id, new Date(Date.now() + tokenLifetimeSeconds * 1000));
  return toRecord(rows[0]);
}

function toRecord(row: UserRow): UserRecord {
  return {
    id: row.id,
    username: row.username,
    fhirUser: row.fhir_user,
    createdAt: row.created_at,
    ...(row.disabled_at ? { disabledAt: row.disabled_at } : undefined),
  };
}
