import { isPlainObject } from './plain-object.ts';

/** Removing secrets from configuration before it is logged or shown. */

export const REDACTED = '***';

const SECRET_NAME = /secret|password|passwd|token|api[-_]?key|private[-_]?key/i;
/** `tokenUrl`, `passwordResetEndpoint`: addresses, not secrets (their own credentials are still stripped). */
const ADDRESS_NAME = /(?:url|uri|endpoint)$/i;

export function isSecretKey(name: string): boolean {
  return SECRET_NAME.test(name) && !ADDRESS_NAME.test(name);
}

/**
 * Hides the password of `scheme://user:password@host` and secret-named query parameters
 * (`?password=...`, `?sslkey_token=...`). Text that is not such a URL comes back unchanged.
 */
export function redactUrlCredentials(text: string): string {
  const schemeEnd = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(text)?.[0].length;
  if (schemeEnd === undefined) return text;
  let result = text;
  // The userinfo ends at the last "@" before the query: an unencoded "@" in a password is common.
  const queryStart = result.search(/[?#]/);
  const beforeQuery = queryStart === -1 ? result : result.slice(0, queryStart);
  const at = beforeQuery.lastIndexOf('@');
  if (at > schemeEnd) {
    const userinfo = result.slice(schemeEnd, at);
    const colon = userinfo.indexOf(':');
    if (colon !== -1) {
      result = `${result.slice(0, schemeEnd)}${userinfo.slice(0, colon)}:${REDACTED}${result.slice(at)}`;
    }
  }
  return result.replace(/([?&;])([^=&#;]+)=([^&#;]*)/g, (whole, separator: string, name: string) =>
    isSecretKey(decodeURIComponentSafely(name)) ? `${separator}${name}=${REDACTED}` : whole,
  );
}

function decodeURIComponentSafely(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    // A malformed escape is still a name worth checking as written.
    return text;
  }
}

/**
 * A deep copy of `config` fit for logging: values under secret-named keys (`clientSecret`,
 * `password`, `*token*`...) become `***`, and passwords inside URLs are hidden.
 */
export function redactConfig<T>(config: T): T {
  return redactValue(config, false, new WeakMap()) as T;
}

function redactValue(value: unknown, secretKey: boolean, seen: WeakMap<object, unknown>): unknown {
  if (Array.isArray(value)) {
    if (seen.has(value)) return seen.get(value);
    const copy: unknown[] = [];
    seen.set(value, copy);
    for (const item of value) copy.push(redactValue(item, secretKey, seen));
    return copy;
  }
  if (isPlainObject(value)) {
    if (seen.has(value)) return seen.get(value);
    const copy: Record<string, unknown> = {};
    seen.set(value, copy);
    for (const [key, item] of Object.entries(value)) copy[key] = redactValue(item, secretKey || isSecretKey(key), seen);
    return copy;
  }
  if (value === null || value === undefined) return value;
  if (secretKey) return REDACTED;
  return typeof value === 'string' ? redactUrlCredentials(value) : value;
}
