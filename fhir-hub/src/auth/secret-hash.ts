/**
 * Memory-hard hashing for passwords and client secrets: scrypt from node:crypto (RFC 7914).
 * The stored form carries its parameters, so they can be raised later without breaking old hashes:
 *   scrypt$<log2 N>$<r>$<p>$<salt base64url>$<hash base64url>
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface ScryptParams {
  /** log2 of the CPU/memory cost N. 15 → N = 32768, 32 MiB with r = 8. */
  log2N: number;
  r: number;
  p: number;
}

/** About 30–60 ms and 32 MiB per hash on a small server; brute force is also rate limited. */
export const DEFAULT_SCRYPT_PARAMS: ScryptParams = { log2N: 15, r: 8, p: 1 };

const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
/** Refuse stored parameters that would make one verification exhaust the machine. */
const MAX_LOG2N = 20;

export async function hashSecret(secret: string, params: ScryptParams = DEFAULT_SCRYPT_PARAMS): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const hash = await derive(secret, salt, params);
  return ['scrypt', params.log2N, params.r, params.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

/** Constant-time comparison; false (never a throw) for a malformed stored hash. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const parsed = parseStored(stored);
  if (!parsed) return false;
  const actual = await derive(secret, parsed.salt, parsed.params);
  return actual.length === parsed.hash.length && timingSafeEqual(actual, parsed.hash);
}

/** A random secret for clients and generated passwords (256 bits, URL-safe). */
export function generateSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

function derive(secret: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const N = 2 ** params.log2N;
  const options: ScryptOptions = { N, r: params.r, p: params.p, maxmem: 256 * N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(secret.normalize('NFC'), salt, KEY_LENGTH, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function parseStored(stored: string): { params: ScryptParams; salt: Buffer; hash: Buffer } | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [log2N, r, p] = parts.slice(1, 4).map((n) => Number.parseInt(n, 10));
  if (![log2N, r, p].every(Number.isSafeInteger) || log2N < 1 || log2N > MAX_LOG2N || r < 1 || r > 32 || p < 1 || p > 16) {
    return undefined;
  }
  const salt = Buffer.from(parts[4], 'base64url');
  const hash = Buffer.from(parts[5], 'base64url');
  if (salt.length === 0 || hash.length !== KEY_LENGTH) return undefined;
  return { params: { log2N, r, p }, salt, hash };
}
