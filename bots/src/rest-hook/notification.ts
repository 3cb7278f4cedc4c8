import { createHmac } from 'node:crypto';
import type { Extension, Resource, Subscription } from '@medplum/fhirtypes';
import { DeliveryFailure, permanentFailure } from '../errors.ts';
import type { DeliveryBody } from '../runtime/delivery-body.ts';

/**
 * The HTTP request a rest-hook Subscription gets for one delivery, built from the Subscription as
 * it is now (endpoint, headers, payload, secret) and the delivery the hub queued. Medplum's
 * conventions, so receivers written for Medplum work unchanged: POST to the endpoint, the
 * `channel.header` lines as headers, `X-Signature` = hex HMAC-SHA256 of the exact body bytes keyed
 * with the `subscription-secret` extension, `X-Medplum-Deleted-Resource` on deletes.
 */
export interface Notification {
  url: string;
  headers: Record<string, string>;
  /** Empty for an empty (no payload) notification. */
  body: string;
}

export type PayloadContent = 'empty' | 'id-only' | 'full-resource';

export const SECRET_EXTENSION_URLS = [
  'https://www.medplum.com/fhir/StructureDefinition/subscription-secret',
  'https://medplum.com/fhir/StructureDefinition/subscription-secret',
];
export const MAX_ATTEMPTS_EXTENSION_URL = 'https://medplum.com/fhir/StructureDefinition/subscription-max-attempts';
/** R4 Subscriptions Backport IG: how much of the resource a notification carries. */
export const PAYLOAD_CONTENT_EXTENSION_URL = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-payload-content';

export const IDEMPOTENCY_KEY_HTTP_HEADER = 'Idempotency-Key';
export const SIGNATURE_HEADER = 'X-Signature';

/** RFC 9110 token characters for a header name. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,256}$/;
/** Visible characters, spaces and tabs; no CR/LF (header injection), no other control characters. */
const HEADER_VALUE = /^[\t\x20-\x7E\x80-\uFFFF]{0,8192}$/;
const MAX_HEADERS = 50;

export interface NotificationContext {
  /** The idempotency key (envelope id). */
  id: string;
  traceId: string;
  /** `Patient/123`, when the delivery names it. */
  resource?: string;
}

export function buildNotification(subscription: Subscription, delivery: DeliveryBody, context: NotificationContext): Notification {
  const channel = subscription.channel;
  const endpoint = channel?.endpoint ?? '';
  if (!/^https?:\/\//i.test(endpoint) || !URL.canParse(endpoint)) {
    throw unusable(subscription, `channel.endpoint ${JSON.stringify(endpoint.slice(0, 200))} is not an http(s) URL`);
  }
  const content = payloadContent(subscription);
  const body = renderBody(content, delivery.resource);
  const headers: Record<string, string> = { ...customHeaders(subscription) };
  headers['Content-Type'] = contentTypeOf(channel?.payload);
  headers[IDEMPOTENCY_KEY_HTTP_HEADER] = context.id;
  headers['X-Trace-Id'] = context.traceId;
  headers['X-Simpul-Subscription'] = delivery.subscription;
  headers['X-Simpul-Event'] = delivery.interaction;
  if (delivery.interaction === 'delete' && context.resource) headers['X-Medplum-Deleted-Resource'] = context.resource;
  const secret = secretOf(subscription);
  if (secret) headers[SIGNATURE_HEADER] = signBody(secret, body);
  return { url: endpoint, headers, body };
}

/** `empty` without `channel.payload` (FHIR R4); otherwise the backport extension's choice, else the full resource. */
export function payloadContent(subscription: Subscription): PayloadContent {
  if (!subscription.channel?.payload) return 'empty';
  const chosen = extensionValue(subscription, [PAYLOAD_CONTENT_EXTENSION_URL])?.valueCode;
  return chosen === 'empty' || chosen === 'id-only' ? chosen : 'full-resource';
}

export function signBody(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body, 'utf8').digest('hex');
}

/** The `subscription-max-attempts` extension (Medplum), when it holds a positive whole number. */
export function subscriptionMaxAttempts(subscription: Subscription): number | undefined {
  const value = extensionValue(subscription, [MAX_ATTEMPTS_EXTENSION_URL])?.valueInteger;
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1 ? value : undefined;
}

function renderBody(content: PayloadContent, resource: Resource | undefined): string {
  if (content === 'empty' || !resource) return '';
  if (content === 'id-only') {
    const meta = resource.meta ? { versionId: resource.meta.versionId, lastUpdated: resource.meta.lastUpdated } : undefined;
    return JSON.stringify({ resourceType: resource.resourceType, id: resource.id, ...(meta ? { meta } : undefined) });
  }
  return JSON.stringify(resource);
}

function contentTypeOf(payload: string | undefined): string {
  return payload && /^application\/(fhir\+)?json$/i.test(payload.split(';')[0].trim()) ? payload : 'application/fhir+json';
}

function customHeaders(subscription: Subscription): Record<string, string> {
  const lines = subscription.channel?.header ?? [];
  if (lines.length > MAX_HEADERS) throw unusable(subscription, `channel.header has ${lines.length} lines; at most ${MAX_HEADERS}`);
  const headers: Record<string, string> = {};
  lines.forEach((line, index) => {
    const colon = typeof line === 'string' ? line.indexOf(':') : -1;
    const name = colon > 0 ? line.slice(0, colon).trim() : '';
    const value = colon > 0 ? line.slice(colon + 1).trim() : '';
    if (!HEADER_NAME.test(name) || !HEADER_VALUE.test(value)) {
      throw unusable(subscription, `channel.header[${index}] is not a "Name: value" header line`);
    }
    headers[name] = value;
  });
  return headers;
}

function secretOf(subscription: Subscription): string | undefined {
  const value = extensionValue(subscription, SECRET_EXTENSION_URLS)?.valueString;
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function extensionValue(subscription: Subscription, urls: readonly string[]): { valueString?: string; valueCode?: string; valueInteger?: number } | undefined {
  // The backport IG puts its extension on the payload element (`channel._payload`).
  const payloadElement = (subscription.channel as { _payload?: { extension?: Extension[] } } | undefined)?._payload;
  const candidates = [...(subscription.extension ?? []), ...(subscription.channel?.extension ?? []), ...(payloadElement?.extension ?? [])];
  const found = candidates.find((extension) => urls.includes(extension.url));
  return found as { valueString?: string; valueCode?: string; valueInteger?: number } | undefined;
}

function unusable(subscription: Subscription, problem: string): Error {
  return permanentFailure(DeliveryFailure.SUBSCRIPTION_UNUSABLE, `Subscription/${subscription.id ?? '?'}: ${problem}`);
}
