import { createHash } from 'node:crypto';
import type { Binary, Bundle, BundleEntry, Reference, Resource } from '@medplum/fhirtypes';

/**
 * Collects the entries of one message's transaction. Every write is conditional on a business
 * identifier (PUT `Type?identifier=...`, POST with `ifNoneExist`, PATCH `Type?identifier=...`), so
 * replaying the message finds the same resources. Entries get `urn:uuid` fullUrls derived from
 * their conditional URL, so the same message always yields the same bundle and references between
 * entries resolve inside the transaction. A second write of the same conditional URL returns the
 * first entry's reference instead of adding a conflicting entry.
 */
export class TransactionBuilder {
  readonly #entries: BundleEntry[] = [];
  readonly #fullUrlByKey = new Map<string, string>();

  /** Create or replace: the message is the source of truth for this resource. */
  put<T extends Resource>(resource: T, search: string): Reference<T> {
    const url = `${resource.resourceType}?${search}`;
    return this.#add(url, () => ({ resource, request: { method: 'PUT', url } }));
  }

  /** Create only when nothing matches; otherwise refer to what exists and leave it unchanged. */
  createIfNoneExist<T extends Resource>(resource: T, search: string): Reference<T> {
    const key = `${resource.resourceType}?${search}`;
    return this.#add(key, () => ({ resource, request: { method: 'POST', url: resource.resourceType, ifNoneExist: search } }));
  }

  /** JSON Patch on the one resource that matches (no match fails the transaction). */
  patch(resourceType: Resource['resourceType'], search: string, operations: readonly JsonPatchOperation[]): Reference {
    const url = `${resourceType}?${search}`;
    const body: Binary = {
      resourceType: 'Binary',
      contentType: 'application/json-patch+json',
      data: Buffer.from(JSON.stringify(operations)).toString('base64'),
    };
    return this.#add(url, () => ({ resource: body, request: { method: 'PATCH', url } }));
  }

  /** The fullUrl an entry written under this conditional URL has (or will have). */
  fullUrlFor(resourceType: Resource['resourceType'], search: string): string {
    return this.#fullUrlByKey.get(`${resourceType}?${search}`) ?? `urn:uuid:${stableUuid(`${resourceType}?${search}`)}`;
  }

  /** fullUrls of every entry so far, in order. */
  get fullUrls(): string[] {
    return this.#entries.map((entry) => entry.fullUrl as string);
  }

  get size(): number {
    return this.#entries.length;
  }

  /** The finished transaction. */
  build(): Bundle {
    return { resourceType: 'Bundle', type: 'transaction', entry: this.#entries };
  }

  #add<T extends Resource>(key: string, makeEntry: () => Omit<BundleEntry, 'fullUrl'>): Reference<T> {
    let fullUrl = this.#fullUrlByKey.get(key);
    if (!fullUrl) {
      fullUrl = `urn:uuid:${stableUuid(key)}`;
      this.#fullUrlByKey.set(key, fullUrl);
      this.#entries.push({ fullUrl, ...makeEntry() });
    }
    return { reference: fullUrl };
  }
}

export interface JsonPatchOperation {
  readonly op: 'add' | 'replace' | 'remove' | 'test';
  readonly path: string;
  readonly value?: unknown;
}

/** A name-based UUID (RFC 9562 version 8, SHA-256 of `seed`): the same seed gives the same UUID. */
export function stableUuid(seed: string): string {
  const bytes = createHash('sha256').update(seed).digest().subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x80;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * `identifier=<system>|<value>` for a conditional URL: FHIR search escapes (`\` `,` `|` `$`) first,
 * then URL encoding, leaving ':' and '/' readable.
 */
export function identifierSearch(system: string, value: string, parameter = 'identifier'): string {
  return `${parameter}=${tokenValue(system, value)}`;
}

/** `<system>|<value>`, escaped and encoded for a search URL; join several with ',' for OR. */
export function tokenValue(system: string, value: string): string {
  return `${encodeSearchPart(system)}|${encodeSearchPart(value)}`;
}

function encodeSearchPart(text: string): string {
  const escaped = text.replace(/[\\,|$]/g, (ch) => `\\${ch}`);
  return encodeURIComponent(escaped).replace(/%3A/gi, ':').replace(/%2F/gi, '/');
}
