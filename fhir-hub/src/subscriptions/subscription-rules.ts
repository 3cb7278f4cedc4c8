import { OperationOutcomeError, badRequest, parseSearchRequest } from '@medplum/core';
import type { Resource, Subscription } from '@medplum/fhirtypes';

/**
 * Checks a Subscription before it is stored: criteria must parse as a FHIR search on a known type,
 * and `requested` becomes `active` (the hub can serve every channel it accepts).
 */
export function prepareSubscription(resource: Resource): Resource {
  if (resource.resourceType !== 'Subscription') return resource;
  const subscription = resource as Subscription;
  if (!subscription.criteria) {
    throw new OperationOutcomeError(badRequest('Subscription.criteria is required', 'Subscription.criteria'));
  }
  try {
    const parsed = parseSearchRequest(subscription.criteria);
    if (!parsed.resourceType || !/^[A-Z][A-Za-z]+$/.test(parsed.resourceType)) throw new Error('no resource type');
  } catch (err) {
    throw new OperationOutcomeError(
      badRequest(`Subscription.criteria "${subscription.criteria}" is not a valid FHIR search: ${(err as Error).message}`, 'Subscription.criteria'),
    );
  }
  const channel = subscription.channel;
  if (channel?.type !== 'rest-hook') {
    throw new OperationOutcomeError(
      badRequest(`Subscription.channel.type "${channel?.type ?? ''}" is not supported: use rest-hook (URL or Bot/<id>)`, 'Subscription.channel.type'),
    );
  }
  if (!channel.endpoint || !(channel.endpoint.startsWith('Bot/') || /^https?:\/\//.test(channel.endpoint))) {
    throw new OperationOutcomeError(
      badRequest('Subscription.channel.endpoint must be an http(s) URL or Bot/<id>', 'Subscription.channel.endpoint'),
    );
  }
  return subscription.status === 'requested' ? { ...subscription, status: 'active' } : subscription;
}
