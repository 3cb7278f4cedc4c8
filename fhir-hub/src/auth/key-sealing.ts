/**
 * Optional encryption at rest for private signing keys: AES-256-GCM under a key derived (HKDF-SHA256)
 * from an operator secret. Without a secret, keys are stored as plain JWK JSON and the database's own
 * access control is all that protects them; the hub logs a warning at start in that case.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const PREFIX = 'sealed:v1:';
const IV_LENGTH = 12;
const TAG_LENGTH = 16;

export function isSealed(stored: string): boolean {
  return stored.startsWith(PREFIX);
}

export function seal(plain: string, secret: string | undefined): string {
  if (!secret) return plain;
  const iv = randomBytes(IV_LENGTH);
  const cipher = createCipheriv('aes-256-gcm', deriveKey(secret), iv);
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

/** Throws when the value is sealed and the secret is missing or wrong (GCM tag mismatch). */
export function unseal(stored: string, secret: string | undefined): string {
  if (!isSealed(stored)) return stored;
  if (!secret) {
    throw new Error('A signing key in the database is encrypted, but no key encryption secret is configured');
  }
  const raw = Buffer.from(stored.slice(PREFIX.length), 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', deriveKey(secret), raw.subarray(0, IV_LENGTH));
  decipher.setAuthTag(raw.subarray(IV_LENGTH, IV_LENGTH + TAG_LENGTH));
  return Buffer.concat([decipher.update(raw.subarray(IV_LENGTH + TAG_LENGTH)), decipher.final()]).toString('utf8');
}

function deriveKey(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'simpul-signing-keys', 'aes-256-gcm', 32));
}
