import type { Resource } from '@medplum/fhirtypes';
import type { Envelope } from '@simpul/infra';
import { DeliveryFailure, permanentFailure } from '../errors.ts';

export type DeliveryInteraction = 'create' | 'update' | 'delete';

/**
 * `envelope.body` of a `simpul.deliveries` message, as the hub's outbox writes it (fhir-hub
 * `subscriptions/subscription-events.ts`; the two are kept in step by the end-to-end tests).
 */
export interface DeliveryBody {
  /** `Subscription/<id>` */
  subscription: string;
  interaction: DeliveryInteraction;
  versionId: string;
  /** Full resource, resourceType/id/meta only (id-only), or absent (empty), per the Subscription's payload. */
  resource?: Resource;
}

const INTERACTIONS = new Set<string>(['create', 'update', 'delete']);
const SUBSCRIPTION_REFERENCE = /^Subscription\/[A-Za-z0-9\-.]{1,64}$/;
const RESOURCE_TYPE = /^[A-Z][A-Za-z]{1,63}$/;

/**
 * The delivery carried by an envelope, checked: anything else cannot be delivered however often
 * it is tried, so it is a permanent failure (dead-lettered at once with the reason).
 */
export function readDelivery(envelope: Envelope): DeliveryBody {
  const fail = (problem: string) => permanentFailure(DeliveryFailure.MALFORMED_DELIVERY, `not a delivery: ${problem}`);
  if (envelope.kind !== 'delivery') throw fail(`envelope kind is "${envelope.kind}"`);
  const body = envelope.body as Record<string, unknown> | null;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw fail('body is not an object');
  if (typeof body.subscription !== 'string' || !SUBSCRIPTION_REFERENCE.test(body.subscription)) {
    throw fail('body.subscription is not a Subscription/<id> reference');
  }
  if (typeof body.interaction !== 'string' || !INTERACTIONS.has(body.interaction)) {
    throw fail('body.interaction is not create, update or delete');
  }
  if (typeof body.versionId !== 'string') throw fail('body.versionId is not text');
  const resource = body.resource as Record<string, unknown> | undefined;
  if (resource !== undefined) {
    if (typeof resource !== 'object' || resource === null || Array.isArray(resource)) throw fail('body.resource is not an object');
    if (typeof resource.resourceType !== 'string' || !RESOURCE_TYPE.test(resource.resourceType)) throw fail('body.resource has no resourceType');
    if (resource.id !== undefined && (typeof resource.id !== 'string' || !/^[A-Za-z0-9\-.]{1,64}$/.test(resource.id))) {
      throw fail('body.resource.id is not a FHIR id');
    }
  }
  return body as unknown as DeliveryBody;
}

/** `Patient/123`, from the resource or the envelope's `resource` header; undefined when neither says. */
export function resourceReference(envelope: Envelope, delivery: DeliveryBody): string | undefined {
  const resource = delivery.resource;
  if (resource?.id) return `${resource.resourceType}/${resource.id}`;
  const header = envelope.headers?.resource;
  return header && /^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/.test(header) ? header : undefined;
}
