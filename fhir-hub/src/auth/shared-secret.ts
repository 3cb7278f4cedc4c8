import { randomBytes } from 'node:crypto';
import type { Queryable } from '../db/connect.ts';

/**
 * A random secret every replica shares (oidc-provider's cookie signing key), created by whichever
 * replica asks first: the insert is a no-op when another one won the race, and all read the winner.
 */
export async function sharedSecret(db: Queryable, name: string): Promise<string> {
  await db`INSERT INTO auth_secret (name, value) VALUES (${name}, ${randomBytes(32).toString('base64url')}) ON CONFLICT (name) DO NOTHING`;
  const [row] = await db<{ value: string }[]>`SELECT value FROM auth_secret WHERE name = ${name}`;
  return row.value;
}
